using SqlSync.Documents;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>A local document raises its events after its lock is released, one at a time, in order.</summary>
public sealed class LocalDocumentEventTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static LocalDocumentOptions Options() => new() { DocumentId = "event-tests", Reducer = Reducer, FsyncOnAppend = false };

    [Fact]
    [Trait("Category", "Boundaries")]
    public void ChangedIsRaisedWithTheDocumentUnlocked()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new CreateSchema());
        bool otherThreadGotIn = false;
        doc.Changed += (_, _) =>
        {
            // Another thread reads the document while this handler runs: it waited for the lock before.
            Task<int> read = Task.Run(() => doc.PendingMutationCount);
            otherThreadGotIn = read.Wait(Deadline);
        };

        doc.Mutate(new Insert(1, "one", 1));

        Assert.True(otherThreadGotIn, "another thread could not read the document while a Changed handler ran");
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void MutationRejectedIsRaisedWithTheDocumentUnlocked()
    {
        using var coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "event-tests", Reducer = Reducer });
        using var a = LocalDocument.Open(Options());
        using var b = LocalDocument.Open(Options());
        a.Mutate(new CreateSchema());
        a.Mutate(new Insert(1, "one", 1));
        DirectSync.Sync(a, coordinator);
        DirectSync.Sync(b, coordinator);
        b.Mutate(new AddQuantity(1, 5)); // fine locally
        a.Mutate(new Delete(1));
        DirectSync.Sync(a, coordinator); // the coordinator deletes row 1 first: b's change is rejected
        bool otherThreadGotIn = false;
        b.MutationRejected += (_, _) =>
        {
            Task<int> read = Task.Run(() => b.PendingMutationCount);
            otherThreadGotIn = read.Wait(Deadline);
        };

        DirectSync.Sync(b, coordinator);

        Assert.True(otherThreadGotIn, "another thread could not read the document while a MutationRejected handler ran");
        Assert.Single(b.GetRejections());
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public void AMutationMadeByAHandlerIsRaisedAfterThatHandlerReturns()
    {
        using var doc = LocalDocument.Open(Options());
        doc.Mutate(new CreateSchema());
        var seen = new List<string>();
        doc.Changed += (_, e) =>
        {
            seen.Add($"enter {e.PendingMutations}");
            if (e.PendingMutations == 2)
            {
                doc.Mutate(new Insert(2, "from the handler", 1));
            }

            seen.Add($"leave {e.PendingMutations}");
        };

        doc.Mutate(new Insert(1, "one", 1));

        Assert.Equal(["enter 2", "leave 2", "enter 3", "leave 3"], seen);
    }

    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task WatchChangesAsyncSeesEveryChangeInOrder()
    {
        using var doc = LocalDocument.Open(Options());
        using var deadline = new CancellationTokenSource(Deadline);
        IAsyncEnumerator<DocumentChangedEventArgs> changes = doc.WatchChangesAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
        try
        {
            ValueTask<bool> first = changes.MoveNextAsync(); // subscribes, then waits for the first change
            doc.Mutate(new CreateSchema());
            doc.Mutate(new Insert(1, "one", 1));
            doc.Mutate(new Insert(2, "two", 1));

            var pending = new List<int>();
            Assert.True(await first);
            pending.Add(changes.Current.PendingMutations);
            while (pending.Count < 3 && await changes.MoveNextAsync())
            {
                pending.Add(changes.Current.PendingMutations);
            }

            Assert.Equal([1, 2, 3], pending);
        }
        finally
        {
            await changes.DisposeAsync();
        }
    }
}
