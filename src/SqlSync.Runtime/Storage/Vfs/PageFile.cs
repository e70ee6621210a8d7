using System.Buffers.Binary;

namespace SqlSync.Storage.Vfs;

/// <summary>
/// One database file as the VFS serves it: the page storage, the lock state shared by every connection
/// that opens it, and the file change counter SQLite sees.
/// </summary>
/// <remarks>
/// SQLite keeps its page cache across transactions and trusts it while the change counter in page 1
/// (bytes 24–27) is unchanged; likewise it keeps its parsed schema while the schema cookie (bytes
/// 40–43) is unchanged. Two different page views can carry equal values (a client's local schema change
/// and the coordinator's both move the cookie from 0 to 1), so the values SQLite reads are ours: they only
/// grow, they take the value a connection writes when that connection commits, and the counter is bumped
/// whenever the pages change under SQLite (a rebase), so every connection drops its page cache at its next
/// transaction; the cookie is bumped when the rebase may change the schema, and then every connection
/// parses it again. The stored pages keep whatever SQLite wrote; the fields are patched
/// in on the way out.
/// </remarks>
internal sealed class PageFile
{
    private uint _visibleCounter;
    private uint _visibleSchemaCookie;

    /// <summary>Set when a local write changed the schema; cleared when a rebase drops the local changes.</summary>
    private bool _schemaChangedLocally;

    public PageFile(string name, PageStorage storage)
    {
        Name = name;
        WriterSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Storage = storage;
        Lock = new FileLock();
        ReadOnlySpan<byte> page1 = storage.Page(1);
        _visibleCounter = BinaryPrimitives.ReadUInt32BigEndian(page1[StorageFormat.ChangeCounterOffset..]);
        _visibleSchemaCookie = BinaryPrimitives.ReadUInt32BigEndian(page1[StorageFormat.SchemaCookieOffset..]);
    }

    /// <summary>The name connections open (<c>file:NAME?vfs=…</c>).</summary>
    public string Name { get; }

    /// <summary>The pages.</summary>
    public PageStorage Storage { get; }

    /// <summary>
    /// The owning document's writer connection: the only handle that may write, and the one let in while the
    /// document holds the file. Set by the VFS when a connection opens with <see cref="WriterSecret"/>.
    /// </summary>
    public MainFileHandle? EngineWriter { get; set; }

    /// <summary>
    /// Known to the engine alone: a read-write open that carries it as the URI parameter
    /// <see cref="PageVfs.WriterSecretParameter"/> becomes <see cref="EngineWriter"/> (once); every other
    /// read-write open is made read-only, so no other connection can reach the pending layer.
    /// </summary>
    public string WriterSecret { get; }

    /// <summary>
    /// Set by the owning document: makes its writer give up a lock it keeps between transactions, if the
    /// writer is idle. Called on a reader's thread, from inside its xLock (see <see cref="FileLock"/>).
    /// </summary>
    public Action? HandOver { get; set; }

    /// <summary>Test hook: the next write through a handle of this file throws this exception (once).</summary>
    internal Exception? FailNextWriteForTesting { get; set; }

    /// <summary>The lock state of every handle on this file.</summary>
    public FileLock Lock { get; }

    /// <summary>Size in bytes, pending writes included.</summary>
    public long SizeInBytes => (long)Storage.SizeInPages * StorageFormat.PageSize;

    /// <summary>
    /// Tells every connection that the pages changed under it (a rebase). Call while holding the file. The
    /// schema cookie moves too when the schema may differ from the one connections parsed: when
    /// <paramref name="committedSchemaChanged"/> (the coordinator's entries changed the schema) or when the
    /// local changes just dropped held a schema change. Otherwise connections keep their parsed schema and
    /// prepared statements, which is most of the cost of the first query after a rebase.
    /// </summary>
    public void MarkChangedExternally(bool committedSchemaChanged)
    {
        _visibleCounter++;
        if (committedSchemaChanged || _schemaChangedLocally)
        {
            _visibleSchemaCookie++;
        }

        _schemaChangedLocally = false;
    }

    /// <summary>True when the local writes since the last rebase changed the schema (then the committed view's roots may differ from the visible schema's).</summary>
    public bool SchemaChangedLocally => _schemaChangedLocally;

    /// <summary>The schema cookie stored in the committed page 1 (what the coordinator's SQLite wrote).</summary>
    public uint CommittedSchemaCookie => BinaryPrimitives.ReadUInt32BigEndian(Storage.Page(1)[StorageFormat.SchemaCookieOffset..]);

    /// <summary>Copies <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; false when it reads past the end.</summary>
    public bool Read(Span<byte> destination, long offset)
    {
        long size = SizeInBytes;
        int done = 0;
        while (done < destination.Length)
        {
            long position = offset + done;
            if (position >= size)
            {
                destination[done..].Clear();
                return false;
            }

            uint pageNumber = (uint)(position / StorageFormat.PageSize) + 1;
            int inPage = (int)(position % StorageFormat.PageSize);
            int count = Math.Min(destination.Length - done, StorageFormat.PageSize - inPage);
            Storage.Page(pageNumber).Slice(inPage, count).CopyTo(destination.Slice(done, count));
            if (pageNumber == 1)
            {
                PatchCounter(destination.Slice(done, count), inPage);
            }

            done += count;
        }

        return true;
    }

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/> into the pending layer.</summary>
    public void Write(ReadOnlySpan<byte> source, long offset)
    {
        if (FailNextWriteForTesting is Exception injected)
        {
            FailNextWriteForTesting = null;
            throw injected;
        }

        int done = 0;
        while (done < source.Length)
        {
            long position = offset + done;
            uint pageNumber = (uint)(position / StorageFormat.PageSize) + 1;
            int inPage = (int)(position % StorageFormat.PageSize);
            int count = Math.Min(source.Length - done, StorageFormat.PageSize - inPage);
            ReadOnlySpan<byte> chunk = source.Slice(done, count);
            if (pageNumber == 1 && inPage <= StorageFormat.ChangeCounterOffset && inPage + count >= StorageFormat.ChangeCounterOffset + 4)
            {
                uint written = BinaryPrimitives.ReadUInt32BigEndian(chunk[(StorageFormat.ChangeCounterOffset - inPage)..]);
                _visibleCounter = Math.Max(written, unchecked(_visibleCounter + 1));
            }

            if (pageNumber == 1 && inPage <= StorageFormat.SchemaCookieOffset && inPage + count >= StorageFormat.SchemaCookieOffset + 4)
            {
                uint written = BinaryPrimitives.ReadUInt32BigEndian(chunk[(StorageFormat.SchemaCookieOffset - inPage)..]);
                if (written > _visibleSchemaCookie)
                {
                    // SQLite writes the cookie it read plus one when it changes the schema.
                    _schemaChangedLocally = true;
                    _visibleSchemaCookie = written;
                }
            }

            Storage.Write(pageNumber, inPage, chunk);
            done += count;
        }
    }

    /// <summary>Truncates to <paramref name="sizeInBytes"/> (rounded up to whole pages).</summary>
    public void Truncate(long sizeInBytes) =>
        Storage.Truncate((uint)((sizeInBytes + StorageFormat.PageSize - 1) / StorageFormat.PageSize));

    private void PatchCounter(Span<byte> chunk, int inPage)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, _visibleCounter);
        PatchField(chunk, inPage, StorageFormat.ChangeCounterOffset, value);
        PatchField(chunk, inPage, StorageFormat.VersionValidForOffset, value);
        BinaryPrimitives.WriteUInt32BigEndian(value, _visibleSchemaCookie);
        PatchField(chunk, inPage, StorageFormat.SchemaCookieOffset, value);
    }

    private static void PatchField(Span<byte> chunk, int chunkOffset, int fieldOffset, ReadOnlySpan<byte> value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            int at = fieldOffset + i - chunkOffset;
            if (at >= 0 && at < chunk.Length)
            {
                chunk[at] = value[i];
            }
        }
    }
}
