using System.Globalization;
using SqlSync;
using SqlSync.Documents;
using SqlSync.Transport;

namespace TodoApp;

/// <summary>
/// An interactive todo client: type commands, see the list; changes made by others appear as they
/// arrive (a half-typed line survives them), and the prompt shows the document's sync state live. A change the server
/// rejects is named by what it did to which item. Works offline; syncs when it can.
/// </summary>
internal static class TerminalClient
{
    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        string name = options.GetValueOrDefault("--name", Environment.UserName);
        string listId = options.GetValueOrDefault("--list", "todos");
        var server = new Uri(options.GetValueOrDefault("--server", "ws://127.0.0.1:5080/sync"));
        string data = options.GetValueOrDefault("--data", Path.Combine("todo-client-data", name));
        var screen = new TodoScreen(Console.Out);
        var changes = new ChangeLog();
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = listId, Reducer = TodoMutations.Reducer.Instance, Directory = data });
        document.MutationRejected += (_, r) => screen.Say($"! the server rejected {changes.Describe(r.Lsn)}: {ChangeLog.Reason(r.Error)}");
        await using var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server, ClientName = name });
        sync.Add(document);

        // The prompt shows the document's sync state live (it follows the connection, not the last key pressed) and who
        // else is online, from presence: their names and the item they are editing.
        DocumentPresence presence = sync.Presence(document);
        string Status() => WithPeers(Describe(sync.GetSyncState(document), document), presence);
        sync.DocumentSyncStateChanged += (_, _) => screen.SetStatus(Status());
        presence.PeersChanged += (_, _) => screen.SetStatus(Status());
        document.Changed += (_, change) =>
        {
            if (change.Kind == DocumentChange.LocalMutation)
            {
                screen.SetStatus(Status());
            }
        };
        // A client far behind (or new to a compacted list) downloads a checkpoint first: its progress is the status.
        document.CheckpointDownloadProgress += (_, p) => screen.SetStatus(p.IsComplete
            ? Status()
            : $"downloading the list: {p.BytesReceived * 100 / Math.Max(1, p.TotalBytes)}% ({p.PagesReceived:N0} of {p.TotalPages:N0} pages)");
        sync.Start();
        document.CreateSchema();
        presence.Publish(name);

        // The list is a live query: a new result arrives only when the rows changed (a no-op update prints nothing).
        using LiveQuery<TodoList.TodoRow> live = TodoList.Live(document);
        using var stop = new CancellationTokenSource();
        Task watcher = Task.Run(async () =>
        {
            await foreach (IReadOnlyList<TodoList.TodoRow> rows in live.WithCancellation(stop.Token))
            {
                screen.ShowList(TodoList.Render(TodoList.FromRows(rows)), "updated"); // prints nothing when the list shown is the same
            }
        });

        screen.Say($"todo list '{listId}' as {name}, server {server}. Type 'help'.");
        screen.ShowList(TodoList.Render(TodoList.Read(document)), null);
        while (ReadLine(screen) is { } line)
        {
            if (line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries) is [("toggle" or "rename"), var number, ..])
            {
                presence.Publish($"{name} (editing #{number})"); // peers see which item is being edited
            }

            if (!Execute(document, changes, screen, line.Trim(), out bool quit))
            {
                screen.Say("? unknown command; type 'help'");
            }

            if (quit)
            {
                break;
            }

            screen.ShowList(TodoList.Render(TodoList.Read(document)), null);
            screen.Prompt(); // when the list did not change, nothing above drew the prompt
        }

        stop.Cancel();
        try
        {
            await watcher;
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }

    /// <summary>
    /// A line typed on the prompt, key by key so that output arriving meanwhile redraws it intact; a redirected input is
    /// read line by line. Null at the end of the input (Ctrl+D, or Ctrl+Z on Windows).
    /// </summary>
    private static string? ReadLine(TodoScreen screen)
    {
        if (Console.IsInputRedirected)
        {
            return Console.ReadLine();
        }

        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    return screen.Submit();
                case ConsoleKey.Backspace:
                    screen.Erase();
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && screen.Input.Length == 0:
                case ConsoleKey.Z when key.Modifiers.HasFlag(ConsoleModifiers.Control) && screen.Input.Length == 0:
                    return null;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        screen.Type(key.KeyChar);
                    }

                    break;
            }
        }
    }

    private static string WithPeers(string status, DocumentPresence presence)
    {
        string online = string.Join(", ", presence.Peers.Select(p => p.StateText));
        return online.Length > 0 ? $"{status}; online: {online}" : status;
    }

    /// <summary>The prompt's status: the document's sync state and its pending mutations.</summary>
    internal static string Describe(DocumentSyncState state, LocalDocument document)
    {
        int pending = document.PendingMutationCount;
        string text = state.Status switch
        {
            DocumentSyncStatus.Offline => "offline",
            DocumentSyncStatus.Opening => "connecting",
            DocumentSyncStatus.Uploading => "syncing",
            DocumentSyncStatus.UpToDate or DocumentSyncStatus.Rejected => "up to date",
            DocumentSyncStatus.Refused => "refused by the server",
            DocumentSyncStatus.ReadOnly => "read-only",
            _ => state.Status.ToString(),
        };
        return pending > 0 && state.Status != DocumentSyncStatus.Uploading ? $"{text}, {pending} pending" : text;
    }

    private static bool Execute(LocalDocument document, ChangeLog changes, TodoScreen screen, string line, out bool quit)
    {
        quit = false;
        string[] parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts[0] is "list" or "ls")
        {
            return true;
        }

        var todos = TodoList.Read(document);
        try
        {
            switch (parts[0])
            {
                case "add" when parts.Length == 2:
                    changes.Record(document.AddTodo(Guid.NewGuid(), parts[1]), $"adding '{parts[1]}'");
                    return true;
                case "toggle" when parts.Length == 2:
                    changes.Record(document.ToggleTodo(Pick(todos, parts[1])), $"toggling '{Title(todos, parts[1])}'");
                    return true;
                case "rename" when parts.Length == 2 && parts[1].Split(' ', 2) is [var number, var title]:
                    changes.Record(document.RenameTodo(Pick(todos, number), title), $"renaming '{Title(todos, number)}' to '{title}'");
                    return true;
                case "delete" or "rm" when parts.Length == 2:
                    changes.Record(document.DeleteTodo(Pick(todos, parts[1])), $"deleting '{Title(todos, parts[1])}'");
                    return true;
                case "move" when parts.Length == 2 && parts[1].Split(' ') is [var from, var to]:
                    int target = int.Parse(to, CultureInfo.InvariantCulture);
                    double position = target <= 1 ? 0 : target >= todos.Count ? todos.Count + 1 : target + 0.5;
                    changes.Record(document.MoveTodo(Pick(todos, from), position), $"moving '{Title(todos, from)}'");
                    return true;
                case "clear":
                    changes.Record(document.ClearCompleted(), "clearing the completed items");
                    return true;
                case "help":
                    screen.Say("commands: list | add TITLE | toggle N | rename N TITLE | delete N | move N TO | clear | quit");
                    return true;
                case "quit" or "exit":
                    quit = true;
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception ex) when (ex is SqlSyncException or FormatException or ArgumentOutOfRangeException)
        {
            screen.Say($"! {ex.Message}");
            return true;
        }
    }

    private static string Title(IReadOnlyList<(Guid Id, string Title, bool Done)> todos, string number) =>
        todos[int.Parse(number, CultureInfo.InvariantCulture) - 1].Title;

    private static Guid Pick(IReadOnlyList<(Guid Id, string Title, bool Done)> todos, string number)
    {
        int index = int.Parse(number, CultureInfo.InvariantCulture);
        return index >= 1 && index <= todos.Count
            ? todos[index - 1].Id
            : throw new ArgumentOutOfRangeException(nameof(number), $"there is no todo {index}");
    }
}
