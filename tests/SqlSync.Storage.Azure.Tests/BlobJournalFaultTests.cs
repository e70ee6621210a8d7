using Azure.Core;
using Azure.Storage.Blobs;
using SqlSync.Journals;
using Xunit;

namespace SqlSync.Storage.Azure;

/// <summary>
/// Requests failing at every step of appends (issue 18): before a request is sent and after the service did the
/// work but the answer was lost, with the client's retries and without. Whatever fails, an acknowledged entry is
/// never lost, an entry is never doubled, and nothing half-written shows after reopening.
/// </summary>
[Trait("Category", "ObjectStorage")]
public sealed class BlobJournalFaultTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static byte[] Entry(int i) => [(byte)i, (byte)(i >> 8), 0xEE, (byte)(i * 7)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_request_failing_at_each_step_of_appends_loses_nothing_acknowledged_and_doubles_nothing(bool afterSend)
    {
        for (int failAt = 1; failAt <= 12; failAt++)
        {
            var faults = new FailingRequests();
            BlobContainerClient container = azurite.NewContainer(options =>
            {
                options.Retry.MaxRetries = 0; // the failure reaches the journal: it must keep what it did not write
                options.AddPolicy(faults, HttpPipelinePosition.PerRetry);
            });
            int target = failAt;
            faults.Rule = (n, _) => (n == target + 1, afterSend); // request 1 creates the container
            var store = new BlobJournalStore(container, "doc/");
            var acknowledged = new List<int>();
            IJournal journal = OpenRetrying(store);
            for (int i = 0; i < 6; i++)
            {
                journal.Append(Entry(i));
                if (i % 2 == 1)
                {
                    if (!TryFlush(journal))
                    {
                        Assert.True(TryFlush(journal), $"a second flush after a single failure must succeed (fail at request {failAt})");
                    }

                    acknowledged.Add(i - 1);
                    acknowledged.Add(i);
                }
            }

            journal.Dispose();
            faults.Rule = (_, _) => (false, false); // the check reads without faults
            using IJournal reopened = store.Open("storage", batched: true, fsyncOnAppend: true, 0);
            Assert.Equal(LsnRange.Inclusive(Lsn.Zero, new Lsn(5)), reopened.Range);
            foreach (int i in acknowledged)
            {
                Assert.Equal(Entry(i), reopened.Read(new Lsn((ulong)i)).ToArray());
            }
        }
    }

    [Fact]
    public void A_wrong_account_key_is_a_clear_access_error()
    {
        BlobContainerClient good = azurite.NewContainer();
        string wrongKey = Convert.ToBase64String(new byte[64]);
        var service = new BlobServiceClient(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={wrongKey};BlobEndpoint=http://127.0.0.1:{azurite.Port}/devstoreaccount1;",
            BlobRequests.ClientOptions());
        var store = new BlobJournalStore(service.GetBlobContainerClient(good.Name), "doc/");
        var error = Assert.Throws<SqlSyncException>(() => store.Open("storage", batched: false, fsyncOnAppend: true, 0));
        Assert.Equal(SqlSyncErrorCode.ObjectStoreAccessDenied, error.Code);
        Assert.Contains("account key", error.Message, StringComparison.Ordinal);
    }

    private static IJournal OpenRetrying(BlobJournalStore store)
    {
        try
        {
            return store.Open("storage", batched: true, fsyncOnAppend: true, 0);
        }
        catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.JournalIo)
        {
            return store.Open("storage", batched: true, fsyncOnAppend: true, 0); // one failure at a time: the second open succeeds
        }
    }

    private static bool TryFlush(IJournal journal)
    {
        try
        {
            journal.Flush();
            return true;
        }
        catch (SqlSyncException e) when (e.Code == SqlSyncErrorCode.JournalIo)
        {
            return false;
        }
    }
}
