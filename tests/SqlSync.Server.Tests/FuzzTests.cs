using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using SqlSync.Documents;
using SqlSync.Journals;
using SqlSync.Mutations;
using SqlSync.Replication;
using SqlSync.Replication.Messages;
using SqlSync.Transport;
using Xunit.Abstractions;

namespace SqlSync.Server.Tests;

/// <summary>
/// Random and mutated frames into the decoder, into server links in process, and into a live server:
/// only protocol errors come out, rejected frames change no journal, other clients are served throughout.
/// Every case is seeded (SQLSYNC_FUZZ_SEED + index); SQLSYNC_FUZZ_ITERATIONS scales the run (default 100 000).
/// </summary>
public sealed class FuzzTests : ServerTestBase
{
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public void DecoderOnlyReturnsMessagesOrThrowsProtocolErrors()
    {
        int iterations = FrameFuzzer.Iterations * 6 / 5;
        int baseSeed = FrameFuzzer.BaseSeed;
        var codes = new Dictionary<ProtocolErrorCode, int>();
        int decoded = 0, valid = 0, compressed = 0;
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            int seed = baseSeed + i;
            var random = new Random(seed);
            try
            {
                SyncMessage original = FrameFuzzer.RandomMessage(random);
                byte[] template = SyncMessageCodec.Encode(original);
                SyncMessage roundTrip = SyncMessageCodec.Decode(template);
                JournalPartial? sent = (original as TimelineEntriesMessage)?.Entries ?? (original as StorageEntriesMessage)?.Entries;
                if (sent is not null && template.Length < sent.ByteCount)
                {
                    compressed++; // LZ4 blocks in the template: the mutations below reach the block decoder
                }

                Assert.True(template.AsSpan().SequenceEqual(SyncMessageCodec.Encode(roundTrip)), $"seed {seed}: a valid {roundTrip.Type} frame does not round-trip byte-identically");
                valid++;

                int kind = random.Next(10);
                byte[] frame = kind == 0 ? FrameFuzzer.Garbage(random) : FrameFuzzer.Mutate(template, random);
                int limit = random.Next(20) == 0 ? SyncProtocol.MinMaxFrameBytes / 64 : SyncProtocol.DefaultMaxFrameBytes;
                (SyncMessage? message, ProtocolErrorCode? error) = FrameFuzzer.TryDecode(frame, limit);
                if (error is ProtocolErrorCode code)
                {
                    codes[code] = codes.GetValueOrDefault(code) + 1;
                    continue;
                }

                // A mutated frame that still decodes is a message: it encodes to a canonical frame that round-trips.
                decoded++;
                byte[] canonical = SyncMessageCodec.Encode(message!);
                Assert.True(canonical.AsSpan().SequenceEqual(SyncMessageCodec.Encode(SyncMessageCodec.Decode(canonical))), $"seed {seed}: a re-encoded frame does not round-trip");
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"seed {seed} (SQLSYNC_FUZZ_SEED={seed} SQLSYNC_FUZZ_ITERATIONS=1 reproduces it): {ex.GetType().Name} escaped the decoder: {ex}");
            }
        }

        _output.WriteLine($"{iterations} cases in {stopwatch.Elapsed}: {valid} valid frames round-tripped ({compressed} with LZ4 blocks), {decoded} mutated frames still decoded, rejections: " +
            string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(codes.Count >= 4, "the mutations reach several decoder checks");
        Assert.True(decoded > 0);
        Assert.True(compressed > iterations / 100, "some templates carry compressed entries");
    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public void ServerLinksInProcessOnlyThrowProtocolErrorsAndRejectedMessagesChangeNoJournal()
    {
        int iterations = FrameFuzzer.Iterations;
        int baseSeed = FrameFuzzer.BaseSeed;
        using var coordinators = new FuzzCoordinators();
        var server = new ReplicationServer(coordinators);
        LinkIdentity Identity(string principal) => new(principal, id => id == "secret" ? DocumentAccess.Denied : id == "ro" ? DocumentAccess.ReadOnly : DocumentAccess.ReadWrite);

        // Another principal owns a timeline of "doc": links that open it are forgers.
        var owned = TimelineId.New();
        ServerLink ownerLink = server.CreateLink(Identity("owner"));
        ownerLink.Handle(RawSyncSocket.Hello());
        ownerLink.Handle(new OpenDocumentMessage("doc", owned, LsnRange.Empty, TimelineSecrets.For(owned)));
        ownerLink.Handle(new TimelineEntriesMessage("doc", RawSyncSocket.AddEntries(Lsn.Zero, 3)));

        string[] ids = { "doc", "ro", "secret", "other", "bad id!", "", new string('a', 129) };
        var codes = new Dictionary<ProtocolErrorCode, int>();
        int handled = 0, accepted = 0, sessions = 0, partsAccepted = 0, entriesFromParts = 0;
        var stopwatch = Stopwatch.StartNew();
        int seed = baseSeed;
        while (handled < iterations)
        {
            var random = new Random(seed);
            sessions++;
            ServerLink link = server.CreateLink(Identity(random.Next(10) == 0 ? "owner" : "fuzzer"));
            var timeline = random.Next(4) == 0 ? owned : TimelineId.New();
            var tracked = new HashSet<TimelineId> { owned, timeline }; // the timelines this link could touch
            var held = new Dictionary<string, LsnRange>();
            var parts = new Queue<SyncMessage>(); // the rest of an entry sent in parts, usually sent next
            for (int step = 0; step < 40 && handled < iterations; step++, handled++)
            {
                SyncMessage message = step == 0 && random.Next(10) != 0 ? RawSyncSocket.Hello() : Semantic(random, ids, timeline, owned, held, coordinators, parts);
                if (random.Next(2) == 0)
                {
                    (SyncMessage? mutated, ProtocolErrorCode? error) = FrameFuzzer.TryDecode(FrameFuzzer.Mutate(SyncMessageCodec.Encode(message), random), SyncProtocol.DefaultMaxFrameBytes);
                    if (mutated is null)
                    {
                        codes[error!.Value] = codes.GetValueOrDefault(error.Value) + 1;
                        handled++;
                        break; // the transport closes the link on a frame it cannot decode
                    }

                    message = mutated;
                }

                if (message is OpenDocumentMessage open)
                {
                    tracked.Add(open.Timeline);
                }

                string before = coordinators.Snapshot(tracked);
                try
                {
                    IReadOnlyList<SyncMessage> replies = link.Handle(message);
                    accepted++;
                    if (message is TimelineEntryPartMessage acceptedPart)
                    {
                        partsAccepted++;
                        entriesFromParts += acceptedPart.IsLast ? 1 : 0;
                    }

                    foreach (SyncMessage reply in replies)
                    {
                        switch (reply)
                        {
                            case DocumentOpenedMessage opened:
                                held[opened.DocumentId] = opened.TimelineRange;
                                break;
                            case TimelineAckMessage ack:
                                held[ack.DocumentId] = ack.TimelineRange;
                                break;
                        }
                    }

                    link.Poll();
                }
                catch (SqlSyncException ex) when (ex.Code == SqlSyncErrorCode.Protocol)
                {
                    ProtocolErrorCode code = FrameFuzzer.ProtocolCode(ex);
                    codes[code] = codes.GetValueOrDefault(code) + 1;
                    string after = coordinators.Snapshot(tracked);
                    Assert.True(before == after, $"seed {seed} step {step}: a rejected {message.Type} ({code}) changed a journal:\n{before}\n→\n{after}");

                    handled++;
                    break; // the link is closed
                }
                catch (Exception ex)
                {
                    Assert.Fail($"seed {seed} step {step}: {ex.GetType().Name} escaped ServerLink.Handle for {message}: {ex}");
                }

                if (handled % 512 == 0)
                {
                    coordinators.StepAll();
                }
            }

            seed++;
        }

        coordinators.StepAll();
        _output.WriteLine($"{handled} frames on {sessions} links in {stopwatch.Elapsed}: {accepted} accepted ({partsAccepted} entry parts, completing {entriesFromParts} entries); rejections: " +
            string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        foreach (ProtocolErrorCode expected in new[] { ProtocolErrorCode.AccessDenied, ProtocolErrorCode.TimelineForgery, ProtocolErrorCode.LsnOutOfRange, ProtocolErrorCode.UnknownDocument, ProtocolErrorCode.UnexpectedMessage, ProtocolErrorCode.MalformedFrame })
        {
            Assert.True(codes.ContainsKey(expected), $"the fuzzer never reached {expected}");
        }

        Assert.True(entriesFromParts > 0, "the fuzzer completes entries sent in parts");

    }

    [Fact]
    [Trait("Category", "Fuzz")]
    public async Task ALiveServerClosesOnlyTheFuzzedLinksAndKeepsServingAnotherClient()
    {
        int cases = Math.Max(200, FrameFuzzer.Iterations / 50);
        int baseSeed = FrameFuzzer.BaseSeed;
        await using var server = await TestServer.StartAsync(ServerDirectory);
        using var good = Client("good");
        good.CreateSchema();
        long goodTotal = 0;
        CoordinatorDocument counters = server.Document("counters");
        CoordinatorDocument fuzz = server.Document("fuzz");
        await using SqlSyncClient goodSync = Connect(server.SyncUri, good);
        string countersPrefix = "counters" + Path.DirectorySeparatorChar;
        // Checkpoints are written in the background by policy, whatever frame arrives: not the rejected frame's doing.
        Dictionary<string, long> JournalFiles() => BadInputTests.Files(ServerDirectory)
            .Where(f => !f.Key.StartsWith(countersPrefix, StringComparison.Ordinal) && !f.Key.Contains("checkpoints", StringComparison.Ordinal))
            .ToDictionary(f => f.Key, f => f.Value);

        var codes = new Dictionary<ProtocolErrorCode, int>();
        int done = 0, accepted = 0, rejected = 0, refusedPerDocument = 0, sessions = 0, closedBySocket = 0;
        var stopwatch = Stopwatch.StartNew();
        int seed = baseSeed;
        while (done < cases)
        {
            var random = new Random(seed);
            sessions++;
            var timeline = TimelineId.New();
            Lsn next = Lsn.Zero;
#pragma warning disable CA2000 // false positive: the await using disposes it on every path
            await using RawSyncSocket raw = await RawSyncSocket.ConnectAndHelloAsync(server.SyncUri);
#pragma warning restore CA2000
            await raw.SendAsync(new OpenDocumentMessage("fuzz", timeline, fuzz.StorageRange, TimelineSecrets.For(timeline)));
            await raw.ExpectAsync<DocumentOpenedMessage>(m => m.DocumentId == "fuzz");
            for (int step = 0; step < 20 && done < cases; step++)
            {
                done++;
                if (done % 25 == 0)
                {
                    good.Add("good", 1); // the other client keeps editing throughout
                    goodTotal++;
                }

                await Eventually.TrueAsync(() => fuzz.QueuedMutationCount == 0, "the fuzzed document is idle");
                Dictionary<string, long> filesBefore = JournalFiles();
                LsnRange storageBefore = fuzz.StorageRange;
                SyncMessage template = random.Next(6) switch
                {
                    0 => TimelineSecrets.Open("fuzz", random.Next(2) == 0 ? timeline : TimelineId.New(), storageBefore),
                    1 or 2 => new TimelineEntriesMessage("fuzz", RawSyncSocket.AddEntries(next, random.Next(1, 4), "fuzz")),
                    3 => new StorageAckMessage("fuzz", storageBefore),
                    _ => FrameFuzzer.RandomMessage(random),
                };
                byte[] frame = random.Next(10) == 0 ? FrameFuzzer.Garbage(random) : FrameFuzzer.Mutate(SyncMessageCodec.Encode(template), random);
                bool text = random.Next(100) == 0;
                (SyncMessage? decoded, ProtocolErrorCode? decodeError) = text ? (null, ProtocolErrorCode.MalformedFrame) : FrameFuzzer.TryDecode(frame, SyncProtocol.DefaultMaxFrameBytes);

                SyncMessage? reply;

                // The probe: a harmless open of the fuzzed document again, with the session's timeline, that always succeeds, so
                // its DocumentOpened means the fuzzed frame was accepted. It goes through the fuzzed document's lane, behind the
                // fuzzed message: messages of one document are answered in order, while another document's reply may overtake
                // one that waits on this document's gate (a step). A fuzzed frame that is itself an open of it answers first.
                int opensToSee = decoded is OpenDocumentMessage { DocumentId: "fuzz" } ? 2 : 1;
                try
                {
                    await raw.SendRawAsync(frame, text ? WebSocketMessageType.Text : WebSocketMessageType.Binary);
                    await raw.SendAsync(new OpenDocumentMessage("fuzz", timeline, storageBefore, TimelineSecrets.For(timeline)));
                }
                catch (WebSocketException)
                {
                    // the server closed the link before the probe went out
                }

                while (true)
                {
                    reply = await raw.ReceiveAsync();
                    if (reply is TimelineAckMessage { DocumentId: "fuzz" } ack)
                    {
                        next = ack.TimelineRange.Next;
                    }

                    if (reply is null or ErrorMessage || reply is DocumentOpenedMessage { DocumentId: "fuzz" } && --opensToSee == 0)
                    {
                        break;
                    }
                }

                if (reply is DocumentOpenedMessage)
                {
                    Assert.True(decoded is not null, $"seed {seed} step {step}: the server accepted a frame the codec refuses ({decodeError})");
                    accepted++;
                    continue;
                }

                if (reply is null && text && !System.Text.Unicode.Utf8.IsValid(frame))
                {
                    // Invalid UTF-8 in a text message breaks the WebSocket protocol itself: the socket closes it (1007)
                    // before a frame reaches the sync layer, so there is no error frame to send. Still nothing may change.
                    Assert.Equal(filesBefore, JournalFiles());
                    closedBySocket++;
                    break;
                }

                Assert.True(reply is ErrorMessage, $"seed {seed} step {step}: the server closed the link without an error frame after {(text ? "a text message" : decoded?.ToString() ?? decodeError.ToString())} ({frame.Length} bytes: {Convert.ToHexString(frame.AsSpan(0, Math.Min(64, frame.Length)))}); log: {server.Logs.Lines.LastOrDefault()}");
                var error = (ErrorMessage)reply!;
                if (decodeError is ProtocolErrorCode expected)
                {
                    Assert.True(expected == error.Code, $"seed {seed} step {step}: the codec says {expected}, the server answered {error.Code}: {error.Message}");
                }

                codes[error.Code] = codes.GetValueOrDefault(error.Code) + 1;
                rejected++;
                if (SyncProtocol.IsDocumentError(error.Code))
                {
                    // A per-document refusal (a fuzzed mutation tag the server does not know: ServerOlderThanClient)
                    // keeps the link open and logs no protocol error; nothing may change either. This link ends here.
                    refusedPerDocument++;
                }
                else
                {
                    Assert.Null(await raw.ReceiveAsync()); // then the close
                }

                await Eventually.TrueAsync(() => fuzz.QueuedMutationCount == 0, "the fuzzed document is idle");
                Dictionary<string, long> filesAfter = JournalFiles();
                Assert.Equal(storageBefore, fuzz.StorageRange);
                foreach ((string file, long length) in filesBefore)
                {
                    Assert.True(filesAfter.TryGetValue(file, out long now) && now == length, $"seed {seed} step {step}: a rejected frame ({error.Code}) changed {file}");
                }

                // A refused open of a new document creates nothing (the server checks before it creates).
                string[] newDocuments = filesAfter.Keys.Except(filesBefore.Keys).Select(f => f.Split(Path.DirectorySeparatorChar)[0]).Distinct().ToArray();
                Assert.True(newDocuments.Length == 0, $"seed {seed} step {step}: a rejected frame ({error.Code}) created files in {string.Join(", ", newDocuments)}");
                break;
            }

            seed++;
        }

        await ConvergedAsync(good, counters, "the good client");
        _output.WriteLine($"{done} frames on {sessions} live links in {stopwatch.Elapsed}: {accepted} accepted, {rejected} rejected, {closedBySocket} closed by the WebSocket layer (invalid UTF-8 text); " +
            string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.Equal(goodTotal, Value(counters, "good"));
        Assert.Equal(goodTotal, Value(good, "good"));
        Assert.Equal(counters.StorageChecksum, good.StorageChecksum);
        Assert.Equal(1, goodSync.ConnectionCount); // never dropped while the fuzzer ran
        Assert.Null(goodSync.LastError);
        Assert.True(rejected > cases / 4 && accepted > 0, "the fuzz mixes rejected and accepted frames");
        int Logged() => server.Logs.Lines.Count(l => l.Message.Contains("closed for a protocol error", StringComparison.Ordinal));
        try
        {
            // A link refused per document stays open until the test drops it, and its end may be logged as well: so
            // between the rejections that closed a link and all the rejections, never more (one line per link at most).
            await Eventually.TrueAsync(() => Logged() >= rejected - refusedPerDocument, $"every rejection that closed a link was logged ({rejected} rejected, {refusedPerDocument} of them per document)");
            Assert.InRange(Logged(), rejected - refusedPerDocument, rejected);
        }
        catch (TimeoutException)
        {
            IEnumerable<string> others = server.Logs.Lines.Select(l => l.Message).Where(m => !m.Contains("closed for a protocol error", StringComparison.Ordinal)).Take(10);
            Assert.Fail($"{Logged()} protocol-error log lines for {rejected} rejections; other lines: {string.Join(" | ", others)}");
        }
        Assert.DoesNotContain(server.Logs.Lines, l => l.Level >= LogLevel.Error);
    }

    /// <summary>A message a confused or hostile client could send on this link now: mostly plausible, often wrong.</summary>
    private static SyncMessage Semantic(Random random, string[] ids, TimelineId timeline, TimelineId owned, Dictionary<string, LsnRange> held, FuzzCoordinators coordinators, Queue<SyncMessage> parts)
    {
        if (parts.Count > 0 && random.Next(8) != 0)
        {
            return parts.Dequeue();
        }

        string id = random.Next(3) == 0 ? ids[random.Next(ids.Length)] : "doc";
        LsnRange storage = coordinators.Exists(id) ? coordinators.GetDocument(id).StorageRange : LsnRange.Empty;
        LsnRange RangeNear(LsnRange around) => random.Next(4) switch
        {
            0 => around,
            1 => LsnRange.EmptyAt(new Lsn(around.Next.Value + (ulong)random.Next(0, 3))),
            2 => LsnRange.Inclusive(Lsn.Zero, new Lsn(around.Next.Value + (ulong)random.Next(-1, 3) is var last && last < long.MaxValue ? last : 0)),
            _ => FrameFuzzer.RandomRange(random),
        };

        switch (random.Next(12))
        {
            case 0:
                return RawSyncSocket.Hello();
            case 1:
            case 2:
                return TimelineSecrets.Open(id, random.Next(8) == 0 ? owned : random.Next(8) == 0 ? TimelineId.New() : timeline, RangeNear(storage));
            case 3:
            case 4:
            case 5:
            {
                LsnRange mine = held.GetValueOrDefault(id);
                Lsn first = random.Next(3) switch
                {
                    0 => mine.Next,
                    1 => new Lsn(mine.Next.Value - Math.Min(mine.Next.Value, (ulong)random.Next(0, 3))),
                    _ => new Lsn(mine.Next.Value + (ulong)random.Next(1, 1000)),
                };
                JournalPartial entries = random.Next(4) == 0
                    ? FrameFuzzer.RandomEntries(random)
                    : RawSyncSocket.AddEntries(first, random.Next(1, 4), random.Next(3) == 0 ? "x" : "y");
                if (random.Next(3) == 0 && entries.Entries.Count > 0 && entries.Entries[0].Length > 1)
                {
                    // The first entry in two or three parts: the first now, the rest queued (sometimes dropped, reordered or interleaved).
                    ReadOnlyMemory<byte> entry = entries.Entries[0];
                    int cut = random.Next(1, entry.Length);
                    var split = new List<SyncMessage> { new TimelineEntryPartMessage(id, entries.Range.First, entry.Length, 0, entry[..cut]) };
                    int cut2 = cut + 1 < entry.Length && random.Next(2) == 0 ? random.Next(cut + 1, entry.Length) : entry.Length;
                    split.Add(new TimelineEntryPartMessage(id, entries.Range.First, entry.Length, cut, entry[cut..cut2]));
                    if (cut2 < entry.Length)
                    {
                        split.Add(new TimelineEntryPartMessage(id, entries.Range.First, entry.Length, cut2, entry[cut2..]));
                    }

                    if (random.Next(8) == 0)
                    {
                        split.Reverse();
                    }

                    parts.Clear();
                    foreach (SyncMessage part in split.Skip(1))
                    {
                        parts.Enqueue(part);
                    }

                    return split[0];
                }

                return new TimelineEntriesMessage(id, entries);
            }

            case 6:
            case 7:
                return new StorageAckMessage(id, RangeNear(storage));
            default:
                return FrameFuzzer.RandomMessage(random);
        }
    }

    /// <summary>In-memory coordinators of the counters mutations; steps when asked, as a host would in the background.</summary>
    private sealed class FuzzCoordinators : ICoordinatorProvider, IDisposable
    {
        private readonly Dictionary<string, CoordinatorDocument> _documents = new(StringComparer.Ordinal);

        public bool Exists(string documentId) => _documents.ContainsKey(documentId);

        public CoordinatorDocument GetDocument(string documentId)
        {
            if (!_documents.TryGetValue(documentId, out CoordinatorDocument? document))
            {
                document = CoordinatorDocument.Open(new CoordinatorDocumentOptions { DocumentId = documentId, Reducer = CounterMutations.Reducer.Instance });
                _documents.Add(documentId, document);
            }

            return document;
        }

        public void OnTimelineReceived(string documentId)
        {
        }

        public void StepAll()
        {
            foreach (CoordinatorDocument document in _documents.Values)
            {
                document.StepAll();
            }
        }

        /// <summary>Every journal's range: storage (with checksum) and each tracked timeline of each document.</summary>
        public string Snapshot(IEnumerable<TimelineId> timelines)
        {
            var text = new System.Text.StringBuilder();
            foreach ((string id, CoordinatorDocument document) in _documents)
            {
                text.Append(id).Append(": storage ").Append(document.StorageRange).Append(' ').Append(document.StorageChecksum).Append(" queued ").Append(document.QueuedMutationCount);
                foreach (TimelineId timeline in timelines)
                {
                    LsnRange range = document.GetTimelineRange(timeline);
                    if (!range.IsEmpty || range.Next.Value != 0)
                    {
                        text.Append(' ').Append(timeline).Append(range);
                    }
                }

                text.Append('\n');
            }

            return text.ToString();
        }

        public void Dispose()
        {
            foreach (CoordinatorDocument document in _documents.Values)
            {
                document.Dispose();
            }
        }
    }
}
