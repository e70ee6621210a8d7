using SqlSync.Documents;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Runtime.Tests.Replication;
using Xunit;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Checkpoints;

/// <summary>
/// Decision 0042 as a property, through the server's links and the codec (the convergence simulation drives the
/// documents directly): seeded random schedules of a writer, server checkpoints with or without compaction, new
/// clients (file and memory) joining at random points with mutations made before and after, links cut in the middle
/// of a download, and file clients restarted; at the end every client equals the server.
/// </summary>
public sealed class JoinScheduleTests
{
    private const string Id = "joinschedule";

    private long _nextId = 1_000;

    public static IEnumerable<object[]> Seeds => Enumerable.Range(1, 40).Select(seed => new object[] { seed });

    private sealed class CutLink : Exception;

    private sealed class Joiner(string name, bool onFile)
    {
        public string Name { get; } = name;

        public bool OnFile { get; } = onFile;

        public LocalDocument? Document { get; set; }

        public bool Synced { get; set; }

        /// <summary>The server's newest checkpoint when this client first connected, if it had one.</summary>
        public SqlSync.Journals.Lsn? CheckpointAtFirstConnect { get; set; }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    [Trait("Category", "Checkpoint")]
    public async Task EveryJoinerEqualsTheServerAfterARandomSchedule(int seed)
    {
        var random = new Random(seed);
        bool compact = random.Next(2) == 0;
        using var host = new CheckpointServer(Id, new ReplicationOptions { MaxEntryBytesPerMessage = 8 * 1024 }, compact: compact);
        using LocalDocument writer = host.Client("writer"); // on file: it may fall behind a compaction while the joiners' uploads are applied
        var writerPump = new ReplicationPump(new ReplicationClient("writer"), host.Server.CreateLink(LinkIdentity.Anonymous));
        writerPump.Client.AddDocument(writer);
        writerPump.Connect();
        writer.Mutate(new CreateSchema());
        writer.Mutate(new Fill(1, 40, 500 + random.Next(1500)));
        writerPump.RunUntilQuiet();

        // Memory clients cannot join behind a compaction (decision 0018): only where the server keeps every entry.
        var joiners = Enumerable.Range(0, 4).Select(i => new Joiner($"j{i}", onFile: compact || random.Next(3) > 0)).ToList();
        var log = new List<string>();
        try
        {
            for (int step = 0; step < 60; step++)
            {
                int action = random.Next(10);
                if (action < 4)
                {
                    writer.Mutate(random.Next(3) == 0 ? new Insert(_nextId++, "w", 1) : new AddQuantity(1 + random.Next(40), 1 + random.Next(5)));
                    writerPump.RunUntilQuiet();
                }
                else if (action < 5)
                {
                    await host.Coordinator.CheckpointAsync().WaitAsync(TimeSpan.FromMinutes(1));
                    log.Add($"checkpoint at {host.Coordinator.NewestCheckpointLsn}, storage {host.Coordinator.StorageRange}");
                }
                else
                {
                    Joiner joiner = joiners[random.Next(joiners.Count)];
                    Act(host, joiner, random, log);
                }
            }

            foreach (Joiner joiner in joiners)
            {
                Connect(host, joiner, cutAfter: null, log);
                Assert.Equal(host.Coordinator.StorageChecksum, joiner.Document!.StorageChecksum);
                Assert.Equal(host.Coordinator.StorageRange.Next, joiner.Document.StorageRange.Next);
                Assert.Equal(0, joiner.Document.PendingMutationCount);
                Assert.Equal(CheckpointServer.Rows(q => host.Coordinator.Query(q)), CheckpointServer.Rows(q => joiner.Document.Query(q)));
                if (joiner.OnFile && joiner.CheckpointAtFirstConnect is { } atConnect)
                {
                    // A new file client of a server with a checkpoint joined from one (or checkpointed later itself).
                    Assert.True(joiner.Document.NewestCheckpointLsn >= atConnect, $"{joiner.Name} joined after the checkpoint at {atConnect} but holds none");
                }
            }
        }
        catch (Exception e) when (e is not CutLink)
        {
            throw new InvalidOperationException($"seed {seed} (compact: {compact}): {e.Message}\n{string.Join("\n", log)}", e);
        }
        finally
        {
            joiners.ForEach(j => j.Document?.Dispose());
        }
    }

    private void Act(CheckpointServer host, Joiner joiner, Random random, List<string> log)
    {
        int what = random.Next(4);
        if (joiner.Document is null || what == 0)
        {
            if (joiner.Document is not null && joiner.OnFile)
            {
                joiner.Document.Dispose(); // a restart: a download cut short resumes from the part on disk
                joiner.Document = null;
                log.Add($"{joiner.Name} restarts");
            }

            Open(host, joiner);
        }

        if (joiner.Synced && what == 1)
        {
            joiner.Document!.Mutate(random.Next(2) == 0 ? new Insert(_nextId++, joiner.Name, 2) : new AddQuantity(1 + random.Next(40), 1)); // pending until it syncs
            return;
        }

        // Cut the link after a few messages to the client now and then: in the middle of a download or of the entries.
        Connect(host, joiner, cutAfter: random.Next(2) == 0 ? 1 + random.Next(12) : null, log);
    }

    private static void Open(CheckpointServer host, Joiner joiner) =>
        joiner.Document ??= joiner.OnFile ? host.Client(joiner.Name) : LocalDocument.Open(new LocalDocumentOptions { DocumentId = Id, Reducer = Reducer });

    private static void Connect(CheckpointServer host, Joiner joiner, int? cutAfter, List<string> log)
    {
        Open(host, joiner); // a joiner the schedule never picked joins at the end
        joiner.CheckpointAtFirstConnect ??= joiner.Synced || !joiner.Document!.StorageRange.IsEmpty ? null : host.Coordinator.NewestCheckpointLsn;
        var client = new ReplicationClient(joiner.Name);
        client.AddDocument(joiner.Document!);
        ServerLink link = host.Server.CreateLink(LinkIdentity.Anonymous);
        int delivered = 0, slices = 0;
        var pump = new ReplicationPump(client, link)
        {
            AlterToClient = m =>
            {
                slices += m is CheckpointChunkMessage { Bytes.Length: > 0 } ? 1 : 0;
                return cutAfter is { } limit && ++delivered > limit ? throw new CutLink() : m;
            },
        };
        pump.Connect();
        try
        {
            pump.RunUntilQuiet();
            joiner.Synced = true;
        }
        catch (CutLink)
        {
            // The connection is lost: the client starts over on a new link, the server forgets this one.
        }
        finally
        {
            client.Disconnect();
            link.Close();
        }

        log.Add($"{joiner.Name} connected{(cutAfter is { } c ? $", cut after {c}" : "")}: {slices} slices, storage {joiner.Document!.StorageRange}, checkpoint {joiner.Document.NewestCheckpointLsn}");
    }
}
