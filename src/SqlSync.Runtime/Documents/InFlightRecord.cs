using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>
/// The coordinator's note of the entries a step is applying (<c>inflight</c> in the document directory, or a note of
/// its journal store when that keeps checkpoints),
/// written before the step runs. Found on open with entries not yet applied, it means the process stopped
/// inside that step. Not fsynced: it guards against process crashes and hangs, which leave the page cache
/// intact; a power loss can lose the note, which costs a poison pill one more run, never an innocent
/// mutation its place (a note that cannot be read, or names applied entries, means nothing).
/// </summary>
internal sealed class InFlightRecord : IDisposable
{
    private const string Magic = "sqlsync-inflight-1";

    private const string NoteName = "inflight";

    private readonly SafeFileHandle? _file;
    private readonly string? _path;
    private readonly IJournalStore? _store;
    private readonly StringBuilder _text = new();

    private InFlightRecord(SafeFileHandle? file, string? path = null, IJournalStore? store = null)
    {
        _file = file;
        _path = path;
        _store = store;
    }

    /// <summary>The entries the note named when it was opened (empty if none or unreadable).</summary>
    public IReadOnlyList<(TimelineId Timeline, Lsn Lsn)> Found { get; private set; } = Array.Empty<(TimelineId, Lsn)>();

    /// <summary>How many stops in a row the found entries had already been in flight at, before this one.</summary>
    public int FoundStrikes { get; private set; }

    /// <summary>
    /// The storage LSN the found note's step was to write (null in a note from before it was kept). When the storage
    /// holds it, that step did not stop the process: it committed (its entries are applied), or another coordinator
    /// wrote that LSN first and fenced it.
    /// </summary>
    public Lsn? FoundStorageLsn { get; private set; }

    /// <summary>Opens (creating) the note in <paramref name="directory"/>; null keeps nothing (in-memory documents).</summary>
    public static InFlightRecord Open(string? directory)
    {
        if (directory is null)
        {
            return new InFlightRecord(null);
        }

        string path = Path.Combine(directory, "inflight");
        var record = new InFlightRecord(File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite), path);
        record.ReadFound(record.ReadFile());
        return record;
    }

    /// <summary>
    /// Opens the note kept in <paramref name="store"/> (journals on an object store, decision 0037): a server on another
    /// disk finds what the last one was applying. Each write is one request, replacing the note whole.
    /// </summary>
    public static InFlightRecord OpenNote(IJournalStore store)
    {
        var record = new InFlightRecord(null, store: store);
        record.ReadFound(store.ReadNote(NoteName));
        return record;
    }

    /// <summary>
    /// Notes <paramref name="batch"/> as in flight, with the stops it was in flight at before and the storage LSN its
    /// step will write.
    /// </summary>
    public void Write(IReadOnlyList<(TimelineId Timeline, Lsn Lsn)> batch, int strikes, Lsn storageLsn)
    {
        if (_file is null && _store is null)
        {
            return;
        }

        _text.Clear();
        _text.Append(Magic).Append(' ').Append(strikes.ToString(CultureInfo.InvariantCulture))
            .Append(' ').Append(storageLsn.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach ((TimelineId timeline, Lsn lsn) in batch)
        {
            _text.Append(timeline.ToString()).Append(' ').Append(lsn.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        // The end line tells a whole note from the longer one it overwrote (no truncate: one write per step).
        _text.Append("end\n");
        byte[] bytes = Encoding.ASCII.GetBytes(_text.ToString());
        if (_store is not null)
        {
            _store.WriteNote(NoteName, bytes);
            return;
        }

        StorageFaults.Check(_path!, "write");
        RandomAccess.Write(_file!, bytes, 0);
    }

    public void Dispose() => _file?.Dispose();

    private byte[]? ReadFile()
    {
        long length = RandomAccess.GetLength(_file!);
        if (length == 0 || length > 1 << 24)
        {
            return null;
        }

        byte[] bytes = new byte[length];
        int read = RandomAccess.Read(_file!, bytes, 0);
        return bytes.AsSpan(0, read).ToArray();
    }

    private void ReadFound(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0 || bytes.Length > 1 << 24)
        {
            return;
        }

        string[] lines = Encoding.ASCII.GetString(bytes).Split('\n');
        string[] header = lines[0].Split(' ');
        if (header.Length is not (2 or 3) || header[0] != Magic || !int.TryParse(header[1], NumberStyles.None, CultureInfo.InvariantCulture, out int strikes))
        {
            return;
        }

        Lsn? storageLsn = null;
        if (header.Length == 3)
        {
            if (!ulong.TryParse(header[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            {
                return;
            }

            storageLsn = new Lsn(value);
        }

        var entries = new List<(TimelineId, Lsn)>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i] == "end")
            {
                Found = entries;
                FoundStrikes = strikes;
                FoundStorageLsn = storageLsn;
                return;
            }

            string[] parts = lines[i].Split(' ');
            try
            {
                entries.Add((TimelineId.Parse(parts[0]), new Lsn(ulong.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture))));
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or IndexOutOfRangeException)
            {
                return; // a torn note says nothing
            }
        }
    }
}
