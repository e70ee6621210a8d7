using System.Globalization;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using static SqlSync.Runtime.Tests.Support.TestMutations;

namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>
/// One seeded run of many clients and a coordinator: random mutations, partial, duplicated and reordered
/// deliveries both ways, offline stretches, client and coordinator restarts. Every choice comes from
/// <see cref="Random"/>(seed), so a seed replays exactly. <see cref="Run"/> returns the failures found.
/// </summary>
internal sealed class ConvergenceSimulation : IDisposable
{
    private const string DocumentId = "convergence";
    private const int IdSpace = 12;
    private const int TraceLength = 40;

    private readonly int _seed;
    private readonly int _mutationsPerClient;
    private readonly Random _rng;
    private readonly ScratchDirectory _root = new(preferMemoryBacked: true);
    private readonly string _coordinatorDirectory;
    private readonly List<SimClient> _clients = new();
    private readonly List<(TimelineId Timeline, Lsn Lsn)> _appliedOrder = new();
    private readonly Dictionary<(TimelineId Timeline, Lsn Lsn), byte[]> _sent = new();
    private readonly Queue<string> _trace = new();
    private CoordinatorDocument _coordinator;
    private int _action;

    private readonly bool _checkpoints;
    private readonly IJournalStore? _store;
    private int _coordinatorDisks;

    /// <param name="checkpoints">
    /// Checkpoints, compaction and crashes while checkpointing at random points; every client on file journals, so
    /// one behind a compaction joins from the checkpoint (in slices, cut by restarts).
    /// </param>
    /// <param name="store">
    /// The coordinator's journal store (decision 0037); each restart then opens it on a new, empty local directory, as a
    /// server replaced by another would. Null: file journals in one directory.
    /// </param>
    public ConvergenceSimulation(int seed, int mutationsPerClient, bool checkpoints = false, IJournalStore? store = null)
    {
        _checkpoints = checkpoints;
        _store = store;
        _seed = seed;
        _mutationsPerClient = mutationsPerClient;
        _rng = new Random(seed);
        _coordinatorDirectory = _root.Sub("coordinator");
        _coordinator = OpenCoordinator();
    }

    /// <summary>What the run did, for the test's log.</summary>
    public Dictionary<string, int> Counters { get; } = new(StringComparer.Ordinal);

    /// <summary>The last actions before the end (or a failure), oldest first.</summary>
    public string Trace => string.Join(Environment.NewLine, _trace);

    /// <summary>Runs the schedule, syncs until quiescent, and returns every property that does not hold.</summary>
    public List<string> Run()
    {
        int clientCount = _rng.Next(2, 9);
        for (int i = 0; i < clientCount; i++)
        {
            // Memory journals keep most clients fast; file journals let a client restart.
            bool onFile = i == 0 || _rng.Next(4) == 0 || _checkpoints;
            var client = new SimClient
            {
                Index = i,
                Directory = onFile ? _root.Sub("client-" + i.ToString(CultureInfo.InvariantCulture)) : null,
                KeepFailed = _rng.Next(4) != 0,
                MutationsLeft = _mutationsPerClient + _rng.Next(0, 50),
            };
            OpenClient(client);
            _clients.Add(client);
            Note($"client {i}: {(onFile ? "file" : "memory")} journals, keep failed {client.KeepFailed}, {client.MutationsLeft} mutations, timeline {client.Timeline}");
            MutateOnce(client, new CreateSchema());
        }

        while (_clients.Exists(c => c.MutationsLeft > 0))
        {
            _action++;
            RunOneAction();
        }

        Quiesce();
        return Verify();
    }

    public void Dispose()
    {
        foreach (SimClient client in _clients)
        {
            client.Document.Dispose();
        }

        _coordinator.Dispose();
        _root.Dispose();
    }

    private void RunOneAction()
    {
        if (_checkpoints && _rng.Next(100) < 3)
        {
            CheckpointAction();
            return;
        }

        int roll = _rng.Next(100);
        SimClient client = _clients[_rng.Next(_clients.Count)];
        bool online = client.OfflineUntil <= _action;
        switch (roll)
        {
            case < 40:
            {
                int count = _rng.Next(1, 6);
                for (int i = 0; i < count && client.MutationsLeft > 0; i++)
                {
                    MutateOnce(client, NextMutation());
                }

                break;
            }

            case < 55:
                if (online)
                {
                    Upload(client);
                }

                break;
            case < 70:
            {
                int batch = _rng.Next(1, 51);
                int applied = _coordinator.Step(batch);
                Count("coordinator steps");
                Note($"coordinator Step({batch}) applied {applied}");
                break;
            }

            case < 88:
                if (online)
                {
                    Download(client);
                }

                break;
            case < 91:
                client.OfflineUntil = _action + _rng.Next(10, 150);
                Count("offline stretches");
                Note($"client {client.Index} offline until action {client.OfflineUntil}");
                break;
            case < 94:
                if (client.Directory is not null)
                {
                    RestartClient(client);
                }

                break;
            case < 95:
                RestartCoordinator();
                break;
            case < 98:
                if (online && client.SentUploads.Count > 0)
                {
                    Count("uploads re-sent");
                    DeliverUpload(client, client.SentUploads[_rng.Next(client.SentUploads.Count)], "re-sent");
                }

                break;
            default:
                if (online && client.ReceivedDownloads.Count > 0)
                {
                    Count("downloads re-delivered");
                    DeliverDownload(client, client.ReceivedDownloads[_rng.Next(client.ReceivedDownloads.Count)], "re-delivered");
                }

                break;
        }
    }

    private IMutation NextMutation()
    {
        int roll = _rng.Next(100);
        long id = _rng.Next(1, IdSpace + 1);
        return roll switch
        {
            < 30 => new Insert(id, "n" + _rng.Next(1000).ToString(CultureInfo.InvariantCulture), _rng.Next(0, 100)),
            < 56 => new AddQuantity(id, _rng.Next(-50, 51)),
            < 68 => new Delete(id),
            < 74 => new Fail("fail-" + _rng.Next(1000).ToString(CultureInfo.InvariantCulture)),
            < 80 => new InsertNondeterministic(_rng.Next(1, 40)),
            < 92 => new Transfer(id, _rng.Next(1, IdSpace + 1), _rng.Next(1, 20)),
            < 95 => new Fill(100 + _rng.Next(0, 60), _rng.Next(1, 4), _rng.Next(0, 400)),
            < 98 => new Ddl(_rng.Next(0, 12)),
            _ => new CreateSchema(),
        };
    }

    private void MutateOnce(SimClient client, IMutation mutation)
    {
        client.MutationsLeft--;
        try
        {
            Lsn lsn = client.Document.Mutate(mutation);
            Count("mutations kept");
            Note($"client {client.Index} mutate {mutation} -> lsn {lsn}");
        }
        catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.MutationFailed && !client.KeepFailed)
        {
            Count("mutations failed locally and dropped");
            Note($"client {client.Index} mutate {mutation} failed locally, dropped");
        }
    }

    private void Upload(SimClient client)
    {
        int kind = _rng.Next(10);
        LsnRange known = _coordinator.GetTimelineRange(client.Timeline);
        if (kind < 4)
        {
            Count("uploads full");
            UploadUntilCaughtUp(client, LocalDocument.DefaultMaxSyncBytes);
        }
        else if (kind < 7)
        {
            Count("uploads of a prefix");
            JournalPartial? partial = client.Document.PrepareTimelineSync(known, SmallTimelineBytes());
            if (partial is not null)
            {
                DeliverUpload(client, partial, "prefix");
            }
        }
        else
        {
            Count("uploads reordered/duplicated");
            var parts = new List<JournalPartial>();
            Lsn next = known.Next;
            int want = _rng.Next(2, 6);
            while (parts.Count < want && client.Document.PrepareTimelineSync(LsnRange.EmptyAt(next), SmallTimelineBytes()) is { } partial)
            {
                parts.Add(partial);
                next = partial.Range.Next;
            }

            foreach (JournalPartial partial in Scramble(parts))
            {
                DeliverUpload(client, partial, "scrambled");
            }

            if (_rng.Next(2) == 0)
            {
                UploadUntilCaughtUp(client, SmallTimelineBytes());
            }
        }
    }

    private void UploadUntilCaughtUp(SimClient client, long maxBytes)
    {
        LsnRange known = _coordinator.GetTimelineRange(client.Timeline);
        while (client.Document.PrepareTimelineSync(known, maxBytes) is { } partial)
        {
            LsnRange after = DeliverUpload(client, partial, "in order");
            if (after.Next == known.Next)
            {
                throw new InvalidOperationException($"Upload made no progress at {known} with {partial.Range}.");
            }

            known = after;
        }
    }

    private LsnRange DeliverUpload(SimClient client, JournalPartial partial, string how)
    {
        for (int i = 0; i < partial.Entries.Count; i++)
        {
            var key = (client.Timeline, new Lsn(partial.Range.First.Value + (ulong)i));
            byte[] bytes = partial.Entries[i].ToArray();
            if (_sent.TryGetValue(key, out byte[]? earlier))
            {
                if (!earlier.AsSpan().SequenceEqual(bytes))
                {
                    throw new InvalidOperationException($"Client {client.Index} sent two different entries for LSN {key.Item2}.");
                }
            }
            else
            {
                _sent.Add(key, bytes);
            }
        }

        LsnRange after = _coordinator.ReceiveTimeline(client.Timeline, partial);
        if (after.Next < client.AcknowledgedNext)
        {
            throw new InvalidOperationException(
                $"Coordinator acknowledged client {client.Index}'s timeline up to {client.AcknowledgedNext} before, now only {after}: acknowledged entries were lost.");
        }

        client.AcknowledgedNext = after.Next;
        Remember(client.SentUploads, partial);
        Note($"client {client.Index} upload {partial.Range} ({how}) -> coordinator holds {after}");
        return after;
    }

    /// <summary>A checkpoint, with compaction, a crash at a random point of writing it, or a restart after it.</summary>
    private void CheckpointAction()
    {
        int kind = _rng.Next(4);
        if (kind == 0)
        {
            var points = Enum.GetValues<SqlSync.Storage.Checkpoints.CheckpointWritePoint>();
            var point = points[_rng.Next(points.Length)];
            Count("coordinator crashes while checkpointing");
            _coordinator.CheckpointFaultInjection = p =>
            {
                if (p == point)
                {
                    throw new IOException("simulated crash at " + p);
                }
            };
            try
            {
                _coordinator.CheckpointAsync().Wait(TimeSpan.FromMinutes(1));
                _coordinator.CompactNow();
            }
            catch (Exception e) when (e is IOException or AggregateException)
            {
            }

            Note($"coordinator crashed at {point} of a checkpoint");
            RestartCoordinator();
            return;
        }

        if (!_coordinator.CheckpointAsync().Wait(TimeSpan.FromMinutes(1)))
        {
            throw new TimeoutException("A checkpoint took over a minute.");
        }

        Count("checkpoints");
        if (kind >= 2)
        {
            _coordinator.CompactNow();
            Count("compactions");
        }

        Note($"coordinator checkpoint at {_coordinator.NewestCheckpointLsn}{(kind >= 2 ? ", compacted" : "")}: storage {_coordinator.StorageRange}");
        if (kind == 3)
        {
            RestartCoordinator();
        }
    }

    /// <summary>A client behind the compacted entries downloads the checkpoint in random slices, restarting now and then.</summary>
    private void JoinFromCheckpoint(SimClient client)
    {
        var offer = _coordinator.CheckpointForReplica() ?? throw new InvalidOperationException("Compacted without a checkpoint.");
        Count("joins from a checkpoint");
        long held = client.Document.ReceiveCheckpointChunk(offer.Lsn, offer.Length, offer.Pages, 0, default).Received;
        while (true)
        {
            int size = _rng.Next(1, 40) * 4096 + _rng.Next(0, 100);
            byte[] bytes = _coordinator.ReadCheckpointForReplica(offer.Lsn, held, size) ?? throw new InvalidOperationException("The checkpoint went away.");
            CheckpointChunkResult result = client.Document.ReceiveCheckpointChunk(offer.Lsn, offer.Length, offer.Pages, held, bytes);
            if (result.Installed is LsnRange installed)
            {
                Note($"client {client.Index} installed the checkpoint at {offer.Lsn}: holds {installed}, pending {client.Document.PendingMutationCount}");
                return;
            }

            held = result.Received;
            if (_rng.Next(8) == 0)
            {
                Count("checkpoint downloads cut by a restart");
                RestartClient(client);
                held = client.Document.ReceiveCheckpointChunk(offer.Lsn, offer.Length, offer.Pages, 0, default).Received;
            }
        }
    }

    private void Download(SimClient client)
    {
        if (client.Document.StorageRange.Next < _coordinator.StorageRange.First)
        {
            JoinFromCheckpoint(client);
        }

        int kind = _rng.Next(10);
        if (kind < 4)
        {
            Count("downloads full");
            DownloadUntilCaughtUp(client, LocalDocument.DefaultMaxSyncBytes, int.MaxValue);
        }
        else if (kind < 7)
        {
            Count("downloads chunked");
            DownloadUntilCaughtUp(client, SmallStorageBytes(), _rng.Next(1, 10));
        }
        else
        {
            Count("downloads reordered/duplicated");
            var parts = new List<JournalPartial>();
            Lsn next = client.Document.StorageRange.Next;
            int want = _rng.Next(2, 6);
            while (parts.Count < want && _coordinator.PrepareStorageSync(LsnRange.EmptyAt(next), SmallStorageBytes()) is { } partial)
            {
                parts.Add(partial);
                next = partial.Range.Next;
            }

            foreach (JournalPartial partial in Scramble(parts))
            {
                DeliverDownload(client, partial, "scrambled");
            }

            // The engine stops at a gap: ask again for what is still missing.
            DownloadUntilCaughtUp(client, SmallStorageBytes(), int.MaxValue, upTo: next);
        }
    }

    private void DownloadUntilCaughtUp(SimClient client, long maxBytes, int maxMessages, Lsn? upTo = null)
    {
        for (int i = 0; i < maxMessages; i++)
        {
            LsnRange held = client.Document.StorageRange;
            if (upTo is Lsn limit && held.Next >= limit)
            {
                return;
            }

            if (held.Next < _coordinator.StorageRange.First)
            {
                JoinFromCheckpoint(client);
                continue;
            }

            if (_coordinator.PrepareStorageSync(held, maxBytes) is not { } partial)
            {
                return;
            }

            LsnRange after = DeliverDownload(client, partial, "in order");
            if (after.Next == held.Next)
            {
                throw new InvalidOperationException($"Download made no progress at {held} with {partial.Range}.");
            }
        }
    }

    private LsnRange DeliverDownload(SimClient client, JournalPartial partial, string how)
    {
        LsnRange after = client.Document.ReceiveStorage(partial);
        Remember(client.ReceivedDownloads, partial);
        Note($"client {client.Index} download {partial.Range} ({how}) -> holds {after}, pending {client.Document.PendingMutationCount}");
        return after;
    }

    private void RestartClient(SimClient client)
    {
        Count("client restarts");
        LsnRange storage = client.Document.StorageRange;
        ulong checksum = client.Document.StorageChecksum;
        int pending = client.Document.PendingMutationCount;
        TimelineId timeline = client.Timeline;
        List<string> items = DocumentState.Rows(sql => client.Document.Query(sql), DocumentState.Tables[0].Sql);
        List<string> facts = DocumentState.Rows(sql => client.Document.Query(sql), DocumentState.Tables[1].Sql);
        client.Document.Dispose();
        OpenClient(client);
        Note($"client {client.Index} restarted: storage {client.Document.StorageRange}, pending {client.Document.PendingMutationCount}");
        Check(client.Timeline == timeline, $"client {client.Index} came back with timeline {client.Timeline}, not {timeline}");
        Check(client.Document.StorageRange.Next == storage.Next, $"client {client.Index} came back with storage {client.Document.StorageRange}, not {storage}");
        Check(client.Document.StorageChecksum == checksum, $"client {client.Index} came back with another storage checksum");
        Check(client.Document.PendingMutationCount == pending,
            $"client {client.Index} came back with {client.Document.PendingMutationCount} pending mutations, not {pending}");
        string? diff = DocumentState.DiffRows("items", items, DocumentState.Rows(sql => client.Document.Query(sql), DocumentState.Tables[0].Sql))
            ?? DocumentState.DiffRows("facts", facts, DocumentState.Rows(sql => client.Document.Query(sql), DocumentState.Tables[1].Sql));
        Check(diff is null, $"client {client.Index} shows other rows after a restart: {diff}");
    }

    private void RestartCoordinator()
    {
        Count("coordinator restarts");
        LsnRange storage = _coordinator.StorageRange;
        ulong checksum = _coordinator.StorageChecksum;
        var applied = new Dictionary<TimelineId, Lsn>(_coordinator.GetAppliedLsns());
        _coordinator.Dispose();
        _coordinator = OpenCoordinator();
        Note($"coordinator restarted: storage {_coordinator.StorageRange}, queued {_coordinator.QueuedMutationCount}");
        Check(_coordinator.StorageRange == storage, $"coordinator came back with storage {_coordinator.StorageRange}, not {storage}");
        Check(_coordinator.StorageChecksum == checksum, "coordinator came back with another storage checksum");
        var reopened = _coordinator.GetAppliedLsns();
        Check(reopened.Count == applied.Count && applied.All(p => reopened.TryGetValue(p.Key, out Lsn l) && l == p.Value),
            "coordinator came back with other applied LSNs");
        foreach (SimClient client in _clients)
        {
            LsnRange held = _coordinator.GetTimelineRange(client.Timeline);
            Check(held.Next >= client.AcknowledgedNext,
                $"coordinator came back holding {held} of client {client.Index}'s timeline, but had acknowledged up to {client.AcknowledgedNext}");
        }
    }

    /// <summary>Everyone online, everything uploaded, applied and downloaded, until nothing moves.</summary>
    private void Quiesce()
    {
        Note("--- quiesce ---");
        for (int round = 0; round < 5; round++)
        {
            foreach (SimClient client in _clients)
            {
                client.OfflineUntil = 0;
                UploadUntilCaughtUp(client, LocalDocument.DefaultMaxSyncBytes);
            }

            _coordinator.StepAll(_rng.Next(1, 51));
            foreach (SimClient client in _clients)
            {
                DownloadUntilCaughtUp(client, LocalDocument.DefaultMaxSyncBytes, int.MaxValue);
            }

            LsnRange storage = _coordinator.StorageRange;
            if (_coordinator.QueuedMutationCount == 0 &&
                _clients.TrueForAll(c => c.Document.PendingMutationCount == 0 && c.Document.StorageRange.Next == storage.Next))
            {
                return;
            }
        }
    }

    private List<string> Verify()
    {
        var failures = new List<string>(_failures);
        void Report(string message) => failures.Add(message);

        if (_coordinator.QueuedMutationCount != 0)
        {
            Report($"coordinator still has {_coordinator.QueuedMutationCount} queued mutations");
        }

        // The coordinator applied every LSN of every timeline exactly once, in LSN order.
        var appliedPerTimeline = new Dictionary<TimelineId, ulong>();
        foreach ((TimelineId timeline, Lsn lsn) in _appliedOrder)
        {
            ulong expected = appliedPerTimeline.GetValueOrDefault(timeline);
            if (lsn.Value != expected)
            {
                Report($"coordinator applied LSN {lsn} of timeline {timeline} when LSN {expected} was next");
            }

            appliedPerTimeline[timeline] = lsn.Value + 1;
        }

        IReadOnlyDictionary<TimelineId, Lsn> appliedLsns = _coordinator.GetAppliedLsns();
        foreach (SimClient client in _clients)
        {
            ulong made = client.Document.TimelineRange.Next.Value;
            ulong applied = appliedPerTimeline.GetValueOrDefault(client.Timeline);
            if (applied != made)
            {
                Report($"client {client.Index} made {made} mutations but the coordinator applied {applied}");
            }

            ulong recorded = appliedLsns.TryGetValue(client.Timeline, out Lsn last) ? last.Value + 1 : 0;
            if (recorded != made)
            {
                Report($"__sqlsync_timelines says {recorded} mutations of client {client.Index} were applied, not {made}");
            }
        }

        // Serial replay of the coordinator's order on a fresh coordinator.
        using var replay = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = DocumentId, Reducer = Reducer, FsyncOnAppend = false });
        foreach ((TimelineId timeline, Lsn lsn) in _appliedOrder)
        {
            if (!_sent.TryGetValue((timeline, lsn), out byte[]? entry))
            {
                Report($"coordinator applied LSN {lsn} of timeline {timeline}, which no client sent");
                continue;
            }

            replay.ReceiveTimeline(timeline, new JournalPartial(LsnRange.Inclusive(lsn, lsn), new ReadOnlyMemory<byte>[] { entry }));
            if (replay.Step(1) != 1)
            {
                Report($"serial replay did not apply LSN {lsn} of timeline {timeline}");
            }
        }

        var expectedTables = DocumentState.Tables.Select(t => DocumentState.Rows(sql => replay.Query(sql), t.Sql)).ToList();
        CompareTables("coordinator", _coordinator.Query, expectedTables, failures);
        PageStorageCheck("coordinator", () => _coordinator.Database.Storage.VerifyFullChecksum(), failures);

        List<string> allRejections = expectedTables[2];
        foreach (SimClient client in _clients)
        {
            string name = $"client {client.Index}";
            LocalDocument document = client.Document;
            if (document.StorageRange.Next != _coordinator.StorageRange.Next)
            {
                Report($"{name} holds storage {document.StorageRange}, the coordinator {_coordinator.StorageRange}");
            }

            if (document.StorageChecksum != _coordinator.StorageChecksum)
            {
                Report($"{name} storage checksum 0x{document.StorageChecksum:X16}, the coordinator's 0x{_coordinator.StorageChecksum:X16}");
            }

            if (document.PendingMutationCount != 0)
            {
                Report($"{name} still has {document.PendingMutationCount} pending mutations");
            }

            if (DocumentState.DiffPages(_coordinator.Database.Storage, document.Database.Storage) is { } pageDiff)
            {
                Report($"{name} pages differ from the coordinator's: {pageDiff}");
            }

            PageStorageCheck(name, () => document.Database.Storage.VerifyFullChecksum(), failures);
            CompareTables(name, document.Query, expectedTables, failures);

            // Rejections: the document's list, and the events raised, match the coordinator's table.
            string prefix = client.Timeline.ToString() + " | ";
            List<string> expected = allRejections.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            List<string> listed = document.GetRejections()
                .Select(r => DocumentState.Format(new object?[] { r.Timeline.ToString(), (long)r.Lsn.Value, r.Error })).ToList();
            if (DocumentState.DiffRows("GetRejections()", expected, listed) is { } listedDiff)
            {
                Report($"{name}: {listedDiff}");
            }

            List<string> raised = client.RejectionEvents
                .Select(r => DocumentState.Format(new object?[] { r.Timeline.ToString(), (long)r.Lsn.Value, r.Error })).ToList();
            if (DocumentState.DiffRows("MutationRejected events", expected, raised) is { } raisedDiff)
            {
                Report($"{name}: {raisedDiff}");
            }
        }

        return failures;
    }

    private static void CompareTables(string name, Func<string, object?[], IReadOnlyList<object?[]>> query, List<List<string>> expected, List<string> failures)
    {
        for (int i = 0; i < DocumentState.Tables.Length; i++)
        {
            List<string> actual = DocumentState.Rows(sql => query(sql, Array.Empty<object?>()), DocumentState.Tables[i].Sql);
            if (DocumentState.DiffRows(DocumentState.Tables[i].Name, expected[i], actual) is { } diff)
            {
                failures.Add($"{name} differs from the serial replay: {diff}");
            }
        }
    }

    private static void PageStorageCheck(string name, Action verify, List<string> failures)
    {
        try
        {
            verify();
        }
        catch (SqlSyncException ex)
        {
            failures.Add($"{name}: full checksum check failed: {ex.Message}");
        }
    }

    private readonly List<string> _failures = new();

    private void Check(bool condition, string message)
    {
        if (!condition)
        {
            _failures.Add($"at action {_action}: {message}");
        }
    }

    private CoordinatorDocument OpenCoordinator()
    {
        CoordinatorDocument coordinator = CoordinatorDocument.Open(new CoordinatorDocumentOptions
        {
            DocumentId = DocumentId,
            Reducer = Reducer,
            Directory = _store is null ? _coordinatorDirectory : _root.Sub("coordinator-disk-" + (_coordinatorDisks++).ToString(CultureInfo.InvariantCulture)),
            JournalStore = _store,
            FsyncOnAppend = false,
        });
        coordinator.AppliedObserver = (timeline, lsn) => _appliedOrder.Add((timeline, lsn));
        return coordinator;
    }

    private void OpenClient(SimClient client)
    {
        client.Document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = DocumentId,
            Reducer = Reducer,
            Directory = client.Directory,
            FsyncOnAppend = false,
            KeepMutationsThatFailLocally = client.KeepFailed,
        });
        client.Document.MutationRejected += (_, rejection) => client.RejectionEvents.Add(rejection);
    }

    /// <summary>The partials in a random order, some of them twice.</summary>
    private List<JournalPartial> Scramble(List<JournalPartial> parts)
    {
        var deliveries = new List<JournalPartial>(parts);
        foreach (JournalPartial part in parts)
        {
            if (_rng.Next(4) == 0)
            {
                deliveries.Add(part);
            }
        }

        for (int i = deliveries.Count - 1; i > 0; i--)
        {
            int j = _rng.Next(i + 1);
            (deliveries[i], deliveries[j]) = (deliveries[j], deliveries[i]);
        }

        return deliveries;
    }

    private long SmallTimelineBytes() => _rng.Next(1, 200);

    private long SmallStorageBytes() => _rng.Next(1, 20_000);

    private static void Remember(List<JournalPartial> list, JournalPartial partial)
    {
        if (list.Count == 6)
        {
            list.RemoveAt(0);
        }

        list.Add(partial);
    }

    private void Count(string what) => Counters[what] = Counters.GetValueOrDefault(what) + 1;

    private void Note(string what)
    {
        if (_trace.Count == TraceLength)
        {
            _trace.Dequeue();
        }

        _trace.Enqueue($"#{_action}: {what}");
    }

    private sealed class SimClient
    {
        public required int Index { get; init; }

        public required string? Directory { get; init; }

        public required bool KeepFailed { get; init; }

        public int MutationsLeft { get; set; }

        public LocalDocument Document { get; set; } = null!;

        public TimelineId Timeline => Document.TimelineId;

        public int OfflineUntil { get; set; }

        public Lsn AcknowledgedNext { get; set; }

        public List<JournalPartial> SentUploads { get; } = new();

        public List<JournalPartial> ReceivedDownloads { get; } = new();

        public List<RejectedMutation> RejectionEvents { get; } = new();
    }
}
