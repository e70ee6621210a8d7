using System.Diagnostics.Metrics;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using Xunit;

namespace SqlSync.Server.Tests;

/// <summary>
/// A reducer stuck in its own code (which SQLite cannot interrupt) holds its document only: the server
/// notices the step running past its threshold, logs it, marks the document stuck in a metric and tells
/// the document's clients, while another document keeps syncing.
/// </summary>
public sealed class StuckDocumentTests : ServerTestBase
{
    [Fact]
    [Trait("Category", "Boundaries")]
    public async Task AStuckReducerIsReportedWhileAnotherDocumentKeepsSyncing()
    {
        using var release = new ManualResetEventSlim();
        var hanging = new HangingReducer(release);
        var stuckGauge = new Dictionary<string, long>();
        var stepSeconds = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SqlSyncMetrics.MeterName && instrument.Name is "sqlsync.document.stuck" or "sqlsync.step.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (stepSeconds)
            {
                stepSeconds.Add(seconds);
            }
        });
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (stuckGauge)
            {
                stuckGauge[(string)tags[0].Value!] = value;
            }
        });
        listener.Start();
        long Stuck(string id)
        {
            listener.RecordObservableInstruments();
            lock (stuckGauge)
            {
                return stuckGauge.TryGetValue(id, out long value) ? value : -1;
            }
        }

        await using var server = await TestServer.StartAsync(ServerDirectory, options =>
        {
            options.StuckStepThreshold = TimeSpan.FromMilliseconds(200);
            options.ReducerFor = id => id == "stuck" ? hanging : CounterMutations.Reducer.Instance;
        });
        try
        {
            await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
            await raw.SendAsync(new OpenDocumentMessage("stuck", TimelineId.New(), LsnRange.Empty, TimelineSecrets.For(TimelineId.New())));
            await raw.ExpectAsync<DocumentOpenedMessage>();
            await raw.SendAsync(new TimelineEntriesMessage("stuck", RawSyncSocket.AddEntries(Lsn.Zero, 1, "hang")));

            ErrorMessage report = await raw.ExpectAsync<ErrorMessage>(e => e.Code == ProtocolErrorCode.DocumentStuck);
            Assert.Equal("stuck", report.DocumentId);
            Assert.Contains("stuck", report.Message, StringComparison.Ordinal);
            await Eventually.TrueAsync(() => Stuck("stuck") == 1, "the stuck gauge shows the document");
            Assert.Contains(server.Logs.Lines, line => line.Message.Contains("Document stuck is stuck", StringComparison.Ordinal));

            // Another document, on its own connection, is served while the first is stuck.
            using LocalDocument free = Client("free", "free");
            free.Mutate(new CounterMutations.CreateSchemaMutation());
            free.Mutate(new CounterMutations.AddMutation("x", 5));
            await using (var client = Connect(server, free))
            {
                await ConvergedAsync(free, server.Document("free"), "the other document's client", TimeSpan.FromSeconds(30));
            }

            Assert.Equal(5, Value(server.Document("free"), "x"));
            Assert.Equal(0, Stuck("free"));
            Assert.Equal(1, Stuck("stuck"));

            // The acknowledgement may have come before the step (a background step) or will after it (inline).
            release.Set();
            await Eventually.TrueAsync(() => Stuck("stuck") == 0, "the stuck document recovers once its step ends");
            await Eventually.TrueAsync(() => server.Document("stuck").GetAppliedLsns().Count == 1, "the stuck mutation is applied once released");

            // The step-duration histogram shows the stuck step for what it was (and the other document's quick ones).
            await Eventually.TrueAsync(() =>
            {
                lock (stepSeconds)
                {
                    return stepSeconds.Any(seconds => seconds >= 0.2);
                }
            }, "sqlsync.step.duration records the stuck step's length");
            lock (stepSeconds)
            {
                Assert.Contains(stepSeconds, seconds => seconds < 0.2);
            }
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>Blocks in Add("hang", …) until released (bounded, so a failing test still ends).</summary>
    private sealed class HangingReducer(ManualResetEventSlim release) : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            release.Wait(TimeSpan.FromSeconds(60));
        }
    }
}
