using System.Globalization;
using SqlSync;
using SqlSync.Documents;
using SqlSync.Transport;

namespace TodoApp;

/// <summary>
/// An interactive todo client: type commands, see the list; changes made by others appear as they
/// arrive, with a status line (connection, pending mutations). Works offline; syncs when it can.
/// </summary>
internal static class TerminalClient
{
    private static readonly object s_console = new();
    private static string? s_shown; // the list last printed: a live result equal to it is not printed again

    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        string name = options.GetValueOrDefault("--name", Environment.UserName);
        string listId = options.GetValueOrDefault("--list", "todos");
        var server = new Uri(options.GetValueOrDefault("--server", "ws://127.0.0.1:5080/sync"));
        string data = options.GetValueOrDefault("--data", Path.Combine("todo-client-data", name));
        using LocalDocument document = LocalDocument.Open(new LocalDocumentOptions { DocumentId = listId, Reducer = TodoMutations.Reducer.Instance, Directory = data });
        document.MutationRejected += (_, r) => Say($"! the server rejected one of your changes: {r.Error}");
        await using var sync = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = server, ClientName = name });
        sync.Add(document);
        sync.Start();
        document.CreateSchema();

        // The list is a live query; who else is online comes from presence (what they are editing, too).
        using LiveQuery<TodoList.TodoRow> live = TodoList.Live(document);
        DocumentPresence presence = sync.Presence(document);
        presence.Publish(name);
        presence.PeersChanged += (_, _) => Show(document, sync, "who is online changed");
        using var stop = new CancellationTokenSource();
        Task watcher = Task.Run(async () =>
        {
            await foreach (IReadOnlyList<TodoList.TodoRow> rows in live.WithCancellation(stop.Token))
            {
                if (TodoList.Render(TodoList.FromRows(rows)) != Volatile.Read(ref s_shown))
                {
                    Show(document, sync, "updated");
                }
            }
        });

        Say($"todo list '{listId}' as {name}, server {server}. Type 'help'.");
        Show(document, sync, null);
        while (Console.ReadLine() is { } line)
        {
            if (line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries) is [("toggle" or "rename"), var number, ..])
            {
                presence.Publish($"{name} (editing #{number})"); // peers see which item is being edited
            }

            if (!Execute(document, line.Trim(), out bool quit))
            {
                Say("? unknown command; type 'help'");
            }

            if (quit)
            {
                break;
            }

            Show(document, sync, null);
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

    private static bool Execute(LocalDocument document, string line, out bool quit)
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
                    document.AddTodo(Guid.NewGuid(), parts[1]);
                    return true;
                case "toggle" when parts.Length == 2:
                    document.ToggleTodo(Pick(todos, parts[1]));
                    return true;
                case "rename" when parts.Length == 2 && parts[1].Split(' ', 2) is [var number, var title]:
                    document.RenameTodo(Pick(todos, number), title);
                    return true;
                case "delete" or "rm" when parts.Length == 2:
                    document.DeleteTodo(Pick(todos, parts[1]));
                    return true;
                case "move" when parts.Length == 2 && parts[1].Split(' ') is [var from, var to]:
                    int target = int.Parse(to, CultureInfo.InvariantCulture);
                    double position = target <= 1 ? 0 : target >= todos.Count ? todos.Count + 1 : target + 0.5;
                    document.MoveTodo(Pick(todos, from), position);
                    return true;
                case "clear":
                    document.ClearCompleted();
                    return true;
                case "help":
                    Say("commands: list | add TITLE | toggle N | rename N TITLE | delete N | move N TO | clear | quit");
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
            Say($"! {ex.Message}");
            return true;
        }
    }

    private static Guid Pick(IReadOnlyList<(Guid Id, string Title, bool Done)> todos, string number)
    {
        int index = int.Parse(number, CultureInfo.InvariantCulture);
        return index >= 1 && index <= todos.Count
            ? todos[index - 1].Id
            : throw new ArgumentOutOfRangeException(nameof(number), $"there is no todo {index}");
    }

    private static void Show(LocalDocument document, SqlSyncClient sync, string? why)
    {
        string list = TodoList.Render(TodoList.Read(document));
        string online = string.Join(", ", sync.Presence(document).Peers.Select(p => p.StateText));
        lock (s_console)
        {
            s_shown = list;
            if (why is not null)
            {
                Console.WriteLine($"\n({why})");
            }

            Console.Write(list);
            Console.WriteLine($"  [{sync.Status.ToString().ToLowerInvariant()}, {document.PendingMutationCount} pending{(online.Length > 0 ? ", online: " + online : "")}]");
            Console.Write("> ");
        }
    }

    private static void Say(string message)
    {
        lock (s_console)
        {
            Console.WriteLine(message);
        }
    }
}
