using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Runtime.Tests.Support;
using SqlSync.Storage;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>A replica whose pages change behind the engine's back is reported as diverged, never silently kept.</summary>
public sealed class DivergenceTests
{
    [Fact]
    [Trait("Category", "Convergence")]
    public void AFlippedByteOfPageOneIsReportedAtTheNextRebaseThatReceivesEntries()
    {
        const string documentId = "diverge-page-one";
        using var coordinator = OpenCoordinator(documentId);
        using var writer = OpenClient(documentId, verifyFull: false);
        using var replica = OpenClient(documentId, verifyFull: false);
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Insert(1, "apple", 1));
        SyncDriver.Full(writer, coordinator);
        SyncDriver.Download(replica, coordinator);
        Assert.Equal(coordinator.StorageChecksum, replica.StorageChecksum);

        replica.CorruptStoragePageForTesting(1, 3000);
        replica.Rebase(); // a rebase that receives nothing has nothing to compare against

        writer.Mutate(new AddQuantity(1, 5));
        SyncDriver.Full(writer, coordinator);
        Lsn next = replica.StorageRange.Next;
        Assert.Contains(1u, PagesOf(coordinator, next)); // every coordinator commit rewrites page 1

        var error = Assert.Throws<SqlSyncException>(() => SyncDriver.Download(replica, coordinator));
        Assert.Equal(SqlSyncErrorCode.Divergence, error.Code);
        Assert.Contains($"'{documentId}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"LSN {next}", error.Message, StringComparison.Ordinal);
        Assert.Equal(next, replica.StorageRange.Next); // the diverging entry was not appended
    }

    [Fact]
    [Trait("Category", "Convergence")]
    public void AFlippedPageTheNextEntryDoesNotRewriteIsReportedWithFullVerification()
    {
        const string documentId = "diverge-untouched-page";
        using var coordinator = OpenCoordinator(documentId);
        using var writer = OpenClient(documentId, verifyFull: false);
        using var replica = OpenClient(documentId, verifyFull: true);
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Fill(1000, 80, 300)); // many pages
        SyncDriver.Full(writer, coordinator);
        SyncDriver.Download(replica, coordinator);
        Assert.Equal(coordinator.StorageChecksum, replica.StorageChecksum);

        writer.Mutate(new AddQuantity(1000, 1));
        SyncDriver.Full(writer, coordinator);
        Lsn next = replica.StorageRange.Next;
        HashSet<uint> rewritten = PagesOf(coordinator, next);
        uint size = replica.Database.Storage.CommittedSizeInPages;
        uint untouched = Enumerable.Range(2, (int)size - 1).Select(p => (uint)p).Last(p => !rewritten.Contains(p));

        replica.CorruptStoragePageForTesting(untouched, 100);

        var error = Assert.Throws<SqlSyncException>(() => SyncDriver.Download(replica, coordinator));
        Assert.Equal(SqlSyncErrorCode.Divergence, error.Code);
        Assert.Contains($"'{documentId}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"LSN {next}", error.Message, StringComparison.Ordinal);
    }

    private static HashSet<uint> PagesOf(CoordinatorDocument coordinator, Lsn lsn)
    {
        StorageEntry entry = StorageEntry.Decode(coordinator.Database.Storage.Journal.Read(lsn));
        return Enumerable.Range(0, entry.PageCount).Select(entry.PageNumberAt).ToHashSet();
    }

    private static CoordinatorDocument OpenCoordinator(string documentId) =>
        CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = documentId, Reducer = Reducer, FsyncOnAppend = false });

    private static LocalDocument OpenClient(string documentId, bool verifyFull) =>
        LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = documentId,
            Reducer = Reducer,
            FsyncOnAppend = false,
            VerifyFullChecksumOnRebase = verifyFull,
        });
}
