namespace SqlSync.Replication;

/// <summary>
/// Per-principal limits on what makes the server keep something (docs/protocol.md, "Quotas"); null means no limit.
/// Counted in fixed windows in the server's memory: they bound how fast one principal can make the server create
/// files and write journals, not totals over the server's life.
/// </summary>
/// <param name="DocumentsCreatedPerHour">Documents a principal may create (open while they do not exist) per hour.</param>
/// <param name="TimelinesClaimedPerHour">Timelines a principal may claim (owner records written) per hour.</param>
/// <param name="UploadBytesPerMinute">Timeline bytes a principal may upload per minute (a single message larger than this still goes through, alone in its minute).</param>
/// <param name="OpenDocuments">Documents a principal may have open at once, over all its links (a document open on two links counts twice).</param>
internal sealed record QuotaLimits(int? DocumentsCreatedPerHour, int? TimelinesClaimedPerHour, long? UploadBytesPerMinute, int? OpenDocuments = null)
{
    /// <summary>No limits: for embedding the engine where every client is trusted.</summary>
    public static QuotaLimits Unlimited { get; } = new(null, null, null);
}
