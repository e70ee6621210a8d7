namespace TodoApp;

/// <summary>
/// The terminal client's screen: output lines above a prompt line that shows the sync status and what the user is
/// typing. Anything printed (an update from the server, a rejection) first clears the prompt line, then redraws it with
/// the half-typed input intact; a status change redraws the prompt alone; a list identical to the one shown is not printed.
/// Thread-safe: updates arrive on the client's threads while the user types.
/// </summary>
internal sealed class TodoScreen(TextWriter output)
{
    private readonly object _gate = new();
    private readonly System.Text.StringBuilder _input = new();
    private string _status = "offline";
    private string? _shownList;
    private int _promptWidth;

    /// <summary>What the user has typed on the prompt line so far.</summary>
    public string Input
    {
        get
        {
            lock (_gate)
            {
                return _input.ToString();
            }
        }
    }

    /// <summary>Shows <paramref name="status"/> in the prompt (redrawn only when it changed).</summary>
    public void SetStatus(string status)
    {
        lock (_gate)
        {
            if (status == _status)
            {
                return;
            }

            _status = status;
            ClearPrompt();
            DrawPrompt();
        }
    }

    /// <summary>Prints <paramref name="list"/> (with <paramref name="why"/> above it) unless it is the list already shown.</summary>
    public bool ShowList(string list, string? why)
    {
        lock (_gate)
        {
            if (list == _shownList)
            {
                return false; // a no-op update (the server's state equals what the user already sees)
            }

            _shownList = list;
            ClearPrompt();
            if (why is not null)
            {
                output.WriteLine($"({why})");
            }

            output.Write(list);
            DrawPrompt();
            return true;
        }
    }

    /// <summary>Prints a line above the prompt.</summary>
    public void Say(string message)
    {
        lock (_gate)
        {
            ClearPrompt();
            output.WriteLine(message);
            DrawPrompt();
        }
    }

    /// <summary>A typed character: echoed on the prompt line.</summary>
    public void Type(char c)
    {
        lock (_gate)
        {
            _input.Append(c);
            output.Write(c);
            _promptWidth++;
            output.Flush();
        }
    }

    /// <summary>Backspace: removes the last typed character.</summary>
    public void Erase()
    {
        lock (_gate)
        {
            if (_input.Length == 0)
            {
                return;
            }

            _input.Length--;
            ClearPrompt();
            DrawPrompt();
        }
    }

    /// <summary>Enter: returns the typed line and starts a new prompt below it.</summary>
    public string Submit()
    {
        lock (_gate)
        {
            string line = _input.ToString();
            _input.Clear();
            output.WriteLine();
            _promptWidth = 0;
            return line;
        }
    }

    /// <summary>The prompt again after a line was handled, unless its output already drew it.</summary>
    public void Prompt()
    {
        lock (_gate)
        {
            if (_promptWidth == 0)
            {
                DrawPrompt();
            }
        }
    }

    private void ClearPrompt()
    {
        if (_promptWidth > 0)
        {
            output.Write('\r' + new string(' ', _promptWidth) + '\r');
            _promptWidth = 0;
        }
    }

    private void DrawPrompt()
    {
        string prompt = $"[{_status}] > {_input}";
        output.Write(prompt);
        output.Flush();
        _promptWidth = prompt.Length;
    }
}
