using SqlSync.Journals;

namespace SqlSync.Documents;

/// <summary>What <see cref="DocumentInspector.Export"/> wrote: the LSN of the image (null before any storage entry), its pages and database checksum.</summary>
internal sealed record ExportedImage(Lsn? Lsn, uint Pages, ulong Checksum);
