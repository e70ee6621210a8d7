using System.Net.WebSockets;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;

namespace SqlSync.Orleans.Tests;

/// <summary>What a hostile client can do to a relaying silo: nothing reaches a grain that the single server would refuse.</summary>
public sealed class ClusterAttackTests
{
    [Fact]
    [Trait("Category", "Cluster")]
    public async Task AMessageForADocumentNeverOpenedClosesTheLinkAndTouchesNoGrain()
    {
        await using SyncCluster cluster = await SyncCluster.StartAsync(2);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await RawFrames.Connect(socket, cluster.UriOf(cluster.Silos[1]), "hostile", timeout.Token);

        await RawFrames.Send(socket, new StorageAckMessage("never-opened", LsnRange.Empty), timeout.Token);
        var error = Assert.IsType<ErrorMessage>(await RawFrames.Receive(socket, timeout.Token));
        Assert.Equal(ProtocolErrorCode.UnexpectedMessage, error.Code);
        Assert.Null(await RawFrames.Receive(socket, timeout.Token)); // then the close
        Assert.All(cluster.Silos, s => Assert.False(s.Host.IsOpen("never-opened")));
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, "never-opened")));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task APrincipalCreatesAtMostItsQuotaOfDocumentsOnEachGrainsSilo()
    {
        // Whether an open creates its document only the grain can tell: it charges the account on its own silo, so a
        // principal creates at most its quota per silo (2 silos here), never without limit.
        const int Quota = 2;
        await using SyncCluster cluster = await SyncCluster.StartAsync(2, options => options.MaxDocumentsCreatedPerHour = Quota);
        var created = new List<string>();
        var refused = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            string id = $"made-{i}";
            using var socket = new ClientWebSocket();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await RawFrames.Connect(socket, cluster.UriOf(cluster.Silos[i % 2]), "creator", timeout.Token);
            switch (await RawFrames.Open(socket, id, timeout.Token))
            {
                case DocumentOpenedMessage:
                    created.Add(id);
                    break;
                case ErrorMessage { Code: ProtocolErrorCode.QuotaExceeded } error:
                    Assert.Contains($"{Quota} documents this hour", error.Message, StringComparison.Ordinal);
                    refused.Add(id);
                    break;
                case var other:
                    Assert.Fail($"{id}: {other}");
                    break;
            }
        }

        Assert.InRange(created.Count, Quota, Quota * cluster.Silos.Count);
        Assert.Equal(8 - created.Count, refused.Count);
        Assert.All(refused, id => Assert.False(Directory.Exists(Path.Combine(cluster.DataDirectory, id)), $"{id} was refused but created"));
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task EntryPartsCountAgainstThePrincipalsUploadQuota()
    {
        // The relaying silo hands parts to the grain without reading them, and the grain's link charges creations
        // and claims only: the relaying silo charges the parts, or a client splitting its uploads would have no limit.
        const long Limit = 4_000;
        await using SyncCluster cluster = await SyncCluster.StartAsync(2, options => options.MaxUploadBytesPerMinute = Limit);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await RawFrames.Connect(socket, cluster.UriOf(cluster.Silos[0]), "splitter", timeout.Token);
        Assert.IsType<DocumentOpenedMessage>(await RawFrames.Open(socket, "parts", timeout.Token));

        const int Part = 1_000;
        for (int offset = 0; offset <= Limit; offset += Part)
        {
            await RawFrames.Send(socket, new TimelineEntryPartMessage("parts", Lsn.Zero, 100_000, offset, new byte[Part]), timeout.Token);
        }

        var error = Assert.IsType<ErrorMessage>(await RawFrames.ReceiveSkippingStorage(socket, timeout.Token));
        Assert.Equal(ProtocolErrorCode.QuotaExceeded, error.Code);
        Assert.Contains($"{Limit} bytes this minute", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Cluster")]
    public async Task TimelineClaimsAreChargedAtTheDocumentsGrain()
    {
        // One document: its grain, on one silo, sees every claim, whichever silo each connection came through.
        await using SyncCluster cluster = await SyncCluster.StartAsync(2, options => options.MaxTimelinesClaimedPerHour = 2);
        var writer = new MutationWriter();
        for (int i = 0; i < 3; i++)
        {
            using var socket = new ClientWebSocket();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await RawFrames.Connect(socket, cluster.UriOf(cluster.Silos[i % 2]), "claimer", timeout.Token);
            Assert.IsType<DocumentOpenedMessage>(await RawFrames.Open(socket, "claims", timeout.Token));
            writer.Reset();
            new LogMutations.LogMutation($"c{i}").WriteTo(writer);
            var entries = new JournalPartial(LsnRange.Inclusive(Lsn.Zero, Lsn.Zero), [TimelineEntry.Encode(1_700_000_000_000, writer.WrittenSpan)]);
            await RawFrames.Send(socket, new TimelineEntriesMessage("claims", entries), timeout.Token); // the first upload claims
            SyncMessage? reply = await RawFrames.ReceiveSkippingStorage(socket, timeout.Token);
            if (i < 2)
            {
                Assert.IsType<TimelineAckMessage>(reply);
                continue;
            }

            var error = Assert.IsType<ErrorMessage>(reply);
            Assert.Equal(ProtocolErrorCode.QuotaExceeded, error.Code);
            Assert.Contains("2 timelines this hour", error.Message, StringComparison.Ordinal);
        }
    }
}
