namespace TodoApp.Story;

/// <summary>What the story ends with: every replica's rows and checksum, and what could have been lost.</summary>
/// <param name="Rows">Each replica's todo list (the rendered rows of <see cref="StoryReplica.RowsQuery"/>), by replica name; "server" is the coordinator.</param>
/// <param name="Checksums">Each replica's storage checksum, by replica name.</param>
/// <param name="MutationsWritten">Mutations the apps wrote, every one with a visible effect on the rows.</param>
/// <param name="Pending">Mutations still pending on the clients at the end.</param>
/// <param name="Rejected">Mutations the coordinator rejected.</param>
/// <param name="ServerSchemaVersion">The schema version of the coordinator's document at the end.</param>
public sealed record StoryResult(
    IReadOnlyDictionary<string, string> Rows,
    IReadOnlyDictionary<string, ulong> Checksums,
    int MutationsWritten,
    int Pending,
    int Rejected,
    int ServerSchemaVersion)
{
    /// <summary>Every replica holds the same bytes and rows, nothing is pending and nothing was rejected.</summary>
    public bool Converged =>
        Rows.Values.Distinct(StringComparer.Ordinal).Count() == 1
        && Checksums.Values.Distinct().Count() == 1
        && Pending == 0
        && Rejected == 0;
}
