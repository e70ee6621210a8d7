using System.Collections.Concurrent;

namespace SqlSync.Journals;

/// <summary>
/// A store whose journals live in memory as long as the store does: a document reopened on the same store sees
/// what it appended (tests, benchmarks, and the contract every store passes). Each <see cref="Open"/> is a
/// handle of its own; a handle that appends an LSN another handle already wrote is fenced.
/// </summary>
internal sealed class MemoryJournalStore : IJournalStore
{
    private readonly ConcurrentDictionary<string, SharedMemoryJournal.Backing> _journals = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<Lsn, byte[]> _checkpoints = new();
    private readonly ConcurrentDictionary<string, byte[]> _notes = new(StringComparer.Ordinal);

    private volatile bool _writesFail;

    /// <inheritdoc />
    public bool FlushBeforeAcknowledge => false;

    /// <summary>Test seam: every append fails (as a full disk would) until the returned scope is disposed.</summary>
    internal IDisposable FailWrites()
    {
        _writesFail = true;
        return new FailScope(this);
    }

    /// <summary>Whether <see cref="FailWrites"/> is in force.</summary>
    internal bool WritesFail => _writesFail;

    /// <inheritdoc />
    public IJournal Open(string name, bool batched, bool fsyncOnAppend, long segmentSizeBytes) =>
        new SharedMemoryJournal(this, name, _journals.GetOrAdd(Normalize(name), _ => new SharedMemoryJournal.Backing()), readOnly: false);

    /// <inheritdoc />
    public IJournal OpenReadOnly(string name) =>
        new SharedMemoryJournal(this, name, _journals.GetOrAdd(Normalize(name), _ => new SharedMemoryJournal.Backing()), readOnly: true);

    /// <inheritdoc />
    public IReadOnlyList<string> Children(string name)
    {
        string prefix = Normalize(name) + "/";
        return _journals.Keys.Where(key => key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(key => key[prefix.Length..].Split('/')[0]).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc />
    public bool KeepsCheckpoints => true;

    /// <inheritdoc />
    public IReadOnlyList<Lsn> Checkpoints() => _checkpoints.Keys.OrderDescending().ToList();

    /// <inheritdoc />
    public void PutCheckpoint(Lsn lsn, string path)
    {
        ThrowIfWritesFail("checkpoint");
        _checkpoints.TryAdd(lsn, File.ReadAllBytes(path));
    }

    /// <inheritdoc />
    public bool GetCheckpoint(Lsn lsn, string path)
    {
        if (!_checkpoints.TryGetValue(lsn, out byte[]? bytes))
        {
            return false;
        }

        File.WriteAllBytes(path, bytes);
        return true;
    }

    /// <inheritdoc />
    public void DeleteCheckpoint(Lsn lsn) => _checkpoints.TryRemove(lsn, out _);

    /// <inheritdoc />
    public byte[]? ReadNote(string name) => _notes.TryGetValue(Normalize(name), out byte[]? bytes) ? bytes.ToArray() : null;

    /// <inheritdoc />
    public void WriteNote(string name, ReadOnlySpan<byte> bytes)
    {
        ThrowIfWritesFail("note");
        _notes[Normalize(name)] = bytes.ToArray();
    }

    private void ThrowIfWritesFail(string what)
    {
        if (_writesFail)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalIo, $"Writing the {what} failed (a simulated store failure).");
        }
    }

    private static string Normalize(string name) => name.Replace('\\', '/').Trim('/');

    private sealed class FailScope(MemoryJournalStore store) : IDisposable
    {
        public void Dispose() => store._writesFail = false;
    }
}
