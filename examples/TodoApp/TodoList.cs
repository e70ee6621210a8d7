using System.Globalization;
using SqlSync.Documents;

namespace TodoApp;

/// <summary>Reads and prints a todo list document.</summary>
internal static class TodoList
{
    public const string Query = "SELECT id, title, done FROM todos ORDER BY position, id";

    public static IReadOnlyList<(Guid Id, string Title, bool Done)> Read(LocalDocument document) =>
        document.Query("SELECT count(*) FROM sqlite_master WHERE name = 'todos'")[0][0] is 0L
            ? Array.Empty<(Guid, string, bool)>()
            : document.Query(Query).Select(row => (Guid.Parse((string)row[0]!), (string)row[1]!, (long)row[2]! == 1)).ToArray();

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
