using System;
using System.Text;

namespace SqlSync.Generators.Helpers;

/// <summary>Builds C# source text line by line with four-space indentation and '\n' line ends.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indentation;

    public void WriteLine(string line)
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indentation * 4);
            _text.Append(line);
        }

        _text.Append('\n');
    }

    public void WriteLine() => _text.Append('\n');

    /// <summary>Writes several lines (split on '\n') at the current indentation.</summary>
    public void WriteLines(string lines)
    {
        foreach (string line in lines.Split('\n'))
        {
            WriteLine(line);
        }
    }

    public void OpenBlock(string header)
    {
        WriteLine(header);
        WriteLine("{");
        _indentation++;
    }

    public void OpenBlock()
    {
        WriteLine("{");
        _indentation++;
    }

    public void CloseBlock(string suffix = "")
    {
        if (_indentation == 0)
        {
            throw new InvalidOperationException("No block is open.");
        }

        _indentation--;
        WriteLine("}" + suffix);
    }

    public override string ToString() => _text.ToString();
}
