namespace SqlSync.Orleans;

/// <summary>How document grains look after their links (<c>AddSqlSyncCluster</c>).</summary>
public sealed class SqlSyncClusterOptions
{
    /// <summary>
    /// How often a document grain asks the connections it holds links for whether they still use this activation, and
    /// how old a link must be before it is asked. A link whose connection ended without saying so (its silo died) or now
    /// uses another activation of the document (the directory briefly held two during a membership change) is dropped,
    /// and a grain left with no link deactivates, so its silo's host closes the document and another activation can open
    /// it (decision 0038). Default 30 seconds: one small grain call per link per interval.
    /// </summary>
    public TimeSpan LinkCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (LinkCheckInterval < TimeSpan.FromMilliseconds(100) || LinkCheckInterval > TimeSpan.FromDays(1))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"LinkCheckInterval must be between 100 ms and one day, not {LinkCheckInterval}.");
        }
    }
}
