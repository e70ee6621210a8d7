using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>
/// How far a checkpoint download has come (raised by <see cref="LocalDocument.CheckpointDownloadProgress"/>): the
/// client joins from the server's checkpoint at <see cref="Lsn"/> because its storage was behind what the server keeps.
/// </summary>
public sealed record CheckpointDownloadProgress(string DocumentId, Lsn Lsn, long BytesReceived, long TotalBytes, uint PagesReceived, uint TotalPages)
{
    /// <summary>True once the whole checkpoint is in and installed.</summary>
    public bool IsComplete => BytesReceived == TotalBytes;
}
