using SqlSync.Journals;

namespace TodoApp;

/// <summary>
/// What each of this client's mutations did, in words that name the item ("rename 'Milk' to 'Oat milk'"), by LSN: a
/// rejection from the server names the change and the item, not a GUID. Thread-safe.
/// </summary>
internal sealed class ChangeLog
{
    private readonly Dictionary<Lsn, string> _changes = new();

    public void Record(Lsn lsn, string description)
    {
        lock (_changes)
        {
            _changes[lsn] = description;
        }
    }

    /// <summary>The description of the mutation at <paramref name="lsn"/> (forgotten once asked), or a generic one.</summary>
    public string Describe(Lsn lsn)
    {
        lock (_changes)
        {
            return _changes.Remove(lsn, out string? description) ? description : $"change #{lsn.Value}";
        }
    }

    /// <summary>
    /// The server's reason in the user's words: without the mutation's name and exception type ("RenameTodo:
    /// ArgumentException: x" → "x"), and without the item's GUID (the change's description names the item).
    /// </summary>
    public static string Reason(string error)
    {
        string[] parts = error.Split(": ", 3);
        string reason = parts.Length == 3 && parts[1].EndsWith("Exception", StringComparison.Ordinal) ? parts[2] : error;
        return reason.StartsWith("There is no todo ", StringComparison.Ordinal) ? "the item no longer exists (deleted elsewhere)" : reason;
    }
}
