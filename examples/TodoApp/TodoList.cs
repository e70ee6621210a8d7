using System.Globalization;
using SqlSync.Documents;

namespace TodoApp;

/// <summary>Reads and prints a todo list document.</summary>
internal static class TodoList
{
    public const string Query = "SELECT id, title, done FROM todos ORDER BY position, id";

    /// <summary>The list as a live query: a new result whenever a local change or the server's changed it.</summary>
    public static LiveQuery<TodoRow> Live(LocalDocument document) => document.Live<TodoRow>(Query);

    public static IReadOnlyList<(Guid Id, string Title, bool Done)> FromRows(IReadOnlyList<TodoRow> rows) =>
        rows.Select(row => (Guid.Parse(row.Id), row.Title, row.Done)).ToArray();

    public static IReadOnlyList<(Guid Id, string Title, bool Done)> Read(LocalDocument document) =>
        document.Query("SELECT count(*) FROM sqlite_master WHERE name = 'todos'")[0][0] is 0L
            ? Array.Empty<(Guid, string, bool)>()
            : document.Query(Query).Select(row => (Guid.Parse((string)row[0]!), (string)row[1]!, (long)row[2]! == 1)).ToArray();

    /// <summary>One row of <see cref="Query"/>, mapped by column name.</summary>
    public sealed record TodoRow(string Id, string Title, bool Done);

    public static string Render(IReadOnlyList<(Guid Id, string Title, bool Done)> todos)
    {
        if (todos.Count == 0)
        {
            return "    (no todos)\n";
        }

        return string.Concat(todos.Select((todo, index) =>
            string.Create(CultureInfo.InvariantCulture, $"    {index + 1,2}. [{(todo.Done ? 'x' : ' ')}] {todo.Title}\n")));
    }
}
