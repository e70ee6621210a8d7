using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Runtime.Tests.Support;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Documents;

/// <summary>
/// A batched step applies without per-mutation savepoints and, when a reducer fails, rolls back and runs
/// the batch again with savepoints. The result must equal applying the mutations one step at a time.
/// </summary>
public sealed class CoordinatorBatchRejectionTests
{
    private static readonly IMutation[] Mutations =
    {
        new CreateSchema(), new Insert(1, "one", 1), new Fail("boom"), new Insert(2, "two", 2),
        new AddQuantity(99, 1), new Insert(3, "three", 3), new AddQuantity(1, 10),
    };

    [Fact]
    [Trait("Category", "Documents")]
    public void BatchWithFailingMutationsMatchesOneStepPerMutation()
    {
        using var batched = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "batch", Reducer = Reducer });
        using var single = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = "batch", Reducer = Reducer });
        using var client = LocalDocument.Open(new LocalDocumentOptions { DocumentId = "batch", Reducer = Reducer, KeepMutationsThatFailLocally = true });
        foreach (IMutation mutation in Mutations)
        {
            client.Mutate(mutation);
        }

        SyncDriver.Upload(client, batched);
        SyncDriver.Upload(client, single);
        Assert.Equal(Mutations.Length, batched.Step(256));
        while (single.Step(1) > 0)
        {
        }

        const string Items = "SELECT id, name, qty FROM items ORDER BY id";
        const string Rejections = "SELECT lsn, error FROM __sqlsync_rejections ORDER BY lsn";
        Assert.Equal(Rows(single.Query(Items)), Rows(batched.Query(Items)));
        Assert.Equal(new[] { "1|one|11", "2|two|2", "3|three|3" }, Rows(batched.Query(Items)));
        Assert.Equal(Rows(single.Query(Rejections)), Rows(batched.Query(Rejections)));
        Assert.Equal(2, batched.Query(Rejections).Count);
        Assert.Equal(single.GetAppliedLsns(), batched.GetAppliedLsns());

        SyncDriver.Download(client, batched);
        Assert.Equal(0, client.PendingMutationCount);
        Assert.Equal(2, client.GetRejections().Count);
        Assert.Equal(batched.StorageChecksum, client.StorageChecksum);
    }

    private static string[] Rows(IReadOnlyList<object?[]> rows) =>
        rows.Select(row => string.Join('|', row.Select(value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
}
