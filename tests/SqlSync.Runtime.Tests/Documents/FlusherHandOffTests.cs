using System.Diagnostics;
using SqlSync.Documents;
using SqlSync.Journals;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// The group-commit flusher watches for the next mutation for <see cref="TimelineFlusher.HandOffSpin"/> after each flush,
/// and <c>Signal()</c> wakes it only when it does not (decision 0032). A signal lost between the two would leave a
/// mutation's task waiting forever: these make mutations just before, inside, at the edge of and after that window,
/// alone and from several writers, and require every task to complete and every mutation to survive a reopen.
/// </summary>
public sealed class FlusherHandOffTests
{
    private static LocalDocument Durable(string directory) => LocalDocument.Open(new LocalDocumentOptions
    {
        DocumentId = "hand-off",
        Reducer = Reducer,
        Directory = directory,
        FsyncOnAppend = true,
    });

    /// <summary>A gap of <paramref name="micros"/> µs between two mutations (a deliberate pause, not a wait for anything).</summary>
    private static void Gap(double micros)
    {
        long until = Stopwatch.GetTimestamp() + (long)(micros * Stopwatch.Frequency / 1e6);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }
    }

    [Fact]
    [Trait("Category", "Documents")]
    public async Task MutationsAroundTheSpinWindowAllBecomeDurable()
    {
        double spin = TimelineFlusher.HandOffSpin.TotalMicroseconds;
        double gather = TimelineFlusher.HandOffGather.TotalMicroseconds;
        double[] gaps = { 0, 1, gather / 2, gather + 5, spin / 2, spin - 10, spin, spin + 10, spin * 2, 2_000 };
        using var directory = new TempDirectory();
        const int Count = 400;
        using (LocalDocument document = Durable(directory.Path))
        {
            document.Mutate(new CreateSchema());
            for (int i = 0; i < Count; i++)
            {
                await document.MutateAsync(new Insert(i, $"row {i}", i)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Gap(gaps[i % gaps.Length]);
            }

            // Several writers at once: signals arrive while the flusher flushes, spins and gathers.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (int i = 0; i < 40; i++)
                {
                    long id = 10_000 + (w * 100) + i;
                    await document.MutateAsync(new Insert(id, "writer", 1)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                    Gap(gaps[(w + i) % gaps.Length]);
                }
            }))).WaitAsync(TimeSpan.FromSeconds(120));

            Assert.InRange(document.TimelineFlushes, 1, Count + 320);
        }

        using LocalDocument reopened = Durable(directory.Path);
        Assert.Equal(Count + 320L, reopened.QueryScalar<long>("SELECT count(*) FROM items"));
    }

    [Fact]
    [Trait("Category", "Documents")]
    public async Task DisposeWhileTheFlusherSpinsEndsItAndLosesNothing()
    {
        using var directory = new TempDirectory();
        for (int round = 0; round < 20; round++)
        {
            using (LocalDocument document = Durable(directory.Path))
            {
                if (round == 0)
                {
                    document.Mutate(new CreateSchema());
                }

                await document.MutateAsync(new Insert(round, "before dispose", round)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Gap(round * 15); // the dispose lands at a different point of the spin each round
                ValueTask<Lsn> last = document.MutateAsync(new Insert(1_000 + round, "queued at dispose", round));
                document.Dispose();
                await last.AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // made durable by the dispose, not dropped
            }
        }

        using LocalDocument reopened = Durable(directory.Path);
        Assert.Equal(40L, reopened.QueryScalar<long>("SELECT count(*) FROM items"));
    }
}
