using System.Globalization;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SqlSync.Journals;

namespace SqlSync.Storage.Azure;

/// <summary>
/// A journal as blobs under one prefix (docs/formats.md, "Journals on object storage"): each flush writes one
/// <see cref="JournalBatch"/> blob named by its first LSN (<c>{LSN, 20 digits}.sqjb</c>, so names sort by LSN),
/// created only if the name is free (<c>If-None-Match: *</c>). Two writers of one journal can therefore never
/// both write an LSN: the loser's create fails and it is fenced (<see cref="SqlSyncErrorCode.JournalFenced"/>)
/// for good. A batched journal holds appends in memory until <see cref="Flush"/>; an unbatched one flushes each
/// append. A <c>start</c> blob records the first LSN after a prefix drop, so numbering survives an empty journal.
/// </summary>
internal sealed class BlobJournal : IJournal
{
    internal const string Extension = ".sqjb";
    internal const string StartMarkerName = "start";
    internal const string CountMetadata = "count";

    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly string _label;
    private readonly bool _batched;
    private readonly bool _readOnly;
    private readonly List<(Lsn First, int Count)> _batches = new();
    private readonly List<byte[]> _pending = new();
    private Lsn _first;
    private Lsn _durableNext;
    private bool _started;
    private (Lsn First, ReadOnlyMemory<byte>[] Entries)? _cache;
    private string? _fenced;
    private bool _disposed;

    private BlobJournal(BlobContainerClient container, string prefix, string label, bool batched, bool readOnly)
    {
        _container = container;
        _prefix = prefix;
        _label = label;
        _batched = batched;
        _readOnly = readOnly;
    }

    /// <summary>Blob requests this journal made (tests and the benchmark count them).</summary>
    internal static long Requests => Interlocked.Read(ref s_requests);

    private static long s_requests;

    /// <summary>
    /// Opens the journal under <paramref name="prefix"/> (ends with '/'): one listing of its blobs (the kept ones
    /// only: a dropped prefix is deleted, so the listing follows what the journal holds) and the start marker.
    /// </summary>
    public static BlobJournal Open(BlobContainerClient container, string prefix, string label, bool batched, bool readOnly)
    {
        var journal = new BlobJournal(container, prefix, label, batched, readOnly);
        journal.Load();
        return journal;
    }

    /// <summary>The blob holding the batch that starts at <paramref name="first"/>.</summary>
    internal static string BlobName(string prefix, Lsn first) => prefix + first.Value.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <inheritdoc />
    public LsnRange Range
    {
        get
        {
            Lsn next = new(_durableNext.Value + (ulong)_pending.Count);
            return next == _first ? LsnRange.EmptyAt(next) : LsnRange.Inclusive(_first, new Lsn(next.Value - 1));
        }
    }

    /// <inheritdoc />
    public Lsn Append(ReadOnlySpan<byte> entry)
    {
        Lsn lsn = Range.Next;
        AppendAt(lsn, entry);
        return lsn;
    }

    /// <inheritdoc />
    public void AppendAt(Lsn lsn, ReadOnlySpan<byte> entry)
    {
        ThrowIfUnusable(write: true);
        JournalFrame.CheckPayloadSize(entry.Length);
        if (!_started && _pending.Count == 0)
        {
            _first = _durableNext = lsn; // a journal that never held an entry may start anywhere
        }
        else if (lsn != Range.Next)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange,
                $"Cannot append LSN {lsn} to the {_label} journal whose next LSN is {Range.Next}.");
        }

        _pending.Add(entry.ToArray());
        if (!_batched)
        {
            try
            {
                Flush();
            }
            catch (SqlSyncException)
            {
                _pending.RemoveAt(_pending.Count - 1); // not appended (fenced or failed): the caller was told so
                throw;
            }
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Read(Lsn lsn)
    {
        ThrowIfUnusable(write: false);
        if (!Range.Contains(lsn))
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalOutOfRange, $"LSN {lsn} is not in the {_label} journal's range {Range}.");
        }

        if (lsn >= _durableNext)
        {
            return _pending[(int)(lsn.Value - _durableNext.Value)];
        }

        (Lsn first, int count) = _batches[FindBatch(lsn)];
        if (_cache is not { } cached || cached.First != first)
        {
            string name = BlobName(_prefix, first);
            BinaryData content = BlobRequests.Run($"read the {_label} journal's blob at LSN {first}", () =>
            {
                Interlocked.Increment(ref s_requests);
                return _container.GetBlobClient(name).DownloadContent().Value.Content;
            });
            ReadOnlyMemory<byte>[] entries = JournalBatch.Validate(content.ToMemory(), first, Label(first));
            if (entries.Length != count)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                    $"The journal blob '{Label(first)}' holds {entries.Length} entries, not the {count} its metadata says. Restore the container from a backup.");
            }

            cached = (first, entries);
            _cache = cached;
        }

        return cached.Entries[(int)(lsn.Value - first.Value)];
    }

    /// <inheritdoc />
    public void DropPrefix(Lsn last)
    {
        ThrowIfUnusable(write: true);
        LsnRange range = Range;
        if (range.IsEmpty || last < range.First)
        {
            return;
        }

        Flush(); // the marker must never point past entries the store holds
        Lsn newFirst = (last < range.Last ? last : range.Last).Next;
        string marker = _prefix + StartMarkerName;
        BlobRequests.Run($"write the {_label} journal's start marker", () =>
        {
            Interlocked.Increment(ref s_requests);
            return _container.GetBlobClient(marker).Upload(BinaryData.FromString(newFirst.Value.ToString(CultureInfo.InvariantCulture)), overwrite: true);
        });
        _first = newFirst;
        _started = true;
        while (_batches.Count > 0 && _batches[0].First.Value + (ulong)_batches[0].Count <= newFirst.Value)
        {
            string name = BlobName(_prefix, _batches[0].First);
            BlobRequests.Run($"delete a dropped blob of the {_label} journal", () =>
            {
                Interlocked.Increment(ref s_requests);
                return _container.GetBlobClient(name).DeleteIfExists();
            });
            _batches.RemoveAt(0);
        }
    }

    /// <summary>
    /// Writes the appended entries as one blob, created only if its name is free. A create that fails with the
    /// name taken is compared with what is there: the same bytes are this journal's own write whose answer was lost
    /// (a retry), anything else is another writer's, and this journal is fenced. Any other failure keeps the
    /// entries, so the next flush writes them again under the same name.
    /// </summary>
    public void Flush()
    {
        ThrowIfUnusable(write: false);
        if (_pending.Count == 0)
        {
            return;
        }

        ThrowIfUnusable(write: true);
        Lsn first = _durableNext;
        byte[] blob = JournalBatch.Encode(first, _pending);
        BlobClient client = _container.GetBlobClient(BlobName(_prefix, first));
        var options = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            Metadata = new Dictionary<string, string> { [CountMetadata] = _pending.Count.ToString(CultureInfo.InvariantCulture) },

            // One Put Blob request, never staged blocks: a request cut short leaves nothing, where staged blocks
            // would leave an uncommitted blob that refuses the conditional create of its name.
            TransferOptions = new StorageTransferOptions { InitialTransferSize = int.MaxValue, MaximumTransferSize = int.MaxValue },
        };
        bool written = BlobRequests.Run($"write the {_label} journal's blob at LSN {first}", () =>
        {
            try
            {
                Interlocked.Increment(ref s_requests);
                client.Upload(new BinaryData(blob), options);
                return true;
            }
            catch (RequestFailedException e) when (BlobRequests.IsAlreadyExists(e))
            {
                Interlocked.Increment(ref s_requests);
                return client.DownloadContent().Value.Content.ToMemory().Span.SequenceEqual(blob);
            }
        });
        if (!written)
        {
            _fenced = $"LSN {first} of the {_label} journal was written by another writer of this document: this one is fenced " +
                "(a second coordinator extended the history); it must stop and reload from the store.";
            throw new SqlSyncException(SqlSyncErrorCode.JournalFenced, _fenced);
        }

        _batches.Add((first, _pending.Count));
        _durableNext = new Lsn(first.Value + (ulong)_pending.Count);
        _started = true;
        _pending.Clear();
    }

    /// <inheritdoc />
    public void Dispose() => _disposed = true;

    private void Load()
    {
        Lsn? marker = null;
        var found = new List<(Lsn First, int Count)>();
        BlobRequests.Run($"list the {_label} journal", () =>
        {
            Interlocked.Increment(ref s_requests);
            foreach (BlobItem item in _container.GetBlobs(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = _prefix }))
            {
                string name = item.Name[_prefix.Length..];
                if (name == StartMarkerName)
                {
                    marker = ReadMarker(item.Name);
                }
                else if (name.Length == 20 + Extension.Length && name.EndsWith(Extension, StringComparison.Ordinal)
                    && ulong.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out ulong first))
                {
                    if (!item.Metadata.TryGetValue(CountMetadata, out string? text)
                        || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count <= 0)
                    {
                        throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                            $"The journal blob '{Label(new Lsn(first))}' has no valid '{CountMetadata}' metadata. Restore the container from a backup.");
                    }

                    found.Add((new Lsn(first), count));
                }
            }

            return found.Count;
        });

        found.Sort((a, b) => a.First.CompareTo(b.First));
        Lsn start = marker ?? (found.Count > 0 ? found[0].First : Lsn.Zero);

        // Blobs wholly before the marker are what a drop cut short by a crash left behind: not part of the journal.
        found.RemoveAll(b => b.First.Value + (ulong)b.Count <= start.Value);
        for (int i = 1; i < found.Count; i++)
        {
            if (found[i].First.Value != found[i - 1].First.Value + (ulong)found[i - 1].Count)
            {
                throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                    $"The {_label} journal has a gap before its blob '{Label(found[i].First)}'. Restore the container from a backup.");
            }
        }

        if (found.Count > 0 && found[0].First > start)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt,
                $"The {_label} journal starts at LSN {found[0].First}, after its start marker {start}. Restore the container from a backup.");
        }

        _batches.AddRange(found);
        _first = start;
        _durableNext = found.Count > 0 ? new Lsn(found[^1].First.Value + (ulong)found[^1].Count) : start;
        _started = marker is not null || found.Count > 0;
    }

    private Lsn ReadMarker(string name)
    {
        Interlocked.Increment(ref s_requests);
        string text = _container.GetBlobClient(name).DownloadContent().Value.Content.ToString();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong lsn)
            ? new Lsn(lsn)
            : throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt, $"The {_label} journal's start marker is damaged. Restore the container from a backup.");
    }

    private int FindBatch(Lsn lsn)
    {
        int low = 0, high = _batches.Count - 1;
        while (low < high)
        {
            int mid = (low + high + 1) / 2;
            if (_batches[mid].First <= lsn)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    private string Label(Lsn first) => $"{_label}/{first.Value.ToString("D20", CultureInfo.InvariantCulture)}{Extension}";

    private void ThrowIfUnusable(bool write)
    {
        if (_disposed)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalClosed, $"The {_label} journal was disposed.");
        }

        if (write && _readOnly)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalReadOnly, $"The {_label} journal was opened read-only.");
        }

        if (write && _fenced is not null)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalFenced, _fenced);
        }
    }
}
