using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>
/// The coordinator's note of the entries a step is applying (<c>inflight</c> in the document directory),
/// written before the step runs. Found on open with entries not yet applied, it means the process stopped
/// inside that step. Not fsynced: it guards against process crashes and hangs, which leave the page cache
/// intact; a power loss can lose the note, which costs a poison pill one more run, never an innocent
/// mutation its place (a note that cannot be read, or names applied entries, means nothing).
/// </summary>
internal sealed class InFlightRecord : IDisposable
{
    private const string Magic = "sqlsync-inflight-1";

    private readonly SafeFileHandle? _file;
    private readonly string? _path;
    private readonly StringBuilder _text = new();

    private InFlightRecord(SafeFileHandle? file, string? path = null)
    {
        _file = file;
        _path = path;
    }

    /// <summary>The entries the note named when it was opened (empty if none or unreadable).</summary>
    public IReadOnlyList<(TimelineId Timeline, Lsn Lsn)> Found { get; private set; } = Array.Empty<(TimelineId, Lsn)>();

    /// <summary>How many stops in a row the found entries had already been in flight at, before this one.</summary>
    public int FoundStrikes { get; private set; }

    /// <summary>Opens (creating) the note in <paramref name="directory"/>; null keeps nothing (in-memory documents).</summary>
    public static InFlightRecord Open(string? directory)
    {
        if (directory is null)
        {
            return new InFlightRecord(null);
        }

        string path = Path.Combine(directory, "inflight");
        var record = new InFlightRecord(File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite), path);
        record.ReadFound();
        return record;
    }

    /// <summary>Notes <paramref name="batch"/> as in flight, with the stops it was in flight at before.</summary>
    public void Write(IReadOnlyList<(TimelineId Timeline, Lsn Lsn)> batch, int strikes)
    {
        if (_file is null)
        {
            return;
        }

        _text.Clear();
        _text.Append(Magic).Append(' ').Append(strikes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach ((TimelineId timeline, Lsn lsn) in batch)
        {
            _text.Append(timeline.ToString()).Append(' ').Append(lsn.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        // The end line tells a whole note from the longer one it overwrote (no truncate: one write per step).
        _text.Append("end\n");
        StorageFaults.Check(_path!, "write");
        RandomAccess.Write(_file, Encoding.ASCII.GetBytes(_text.ToString()), 0);
    }

    public void Dispose() => _file?.Dispose();

    private void ReadFound()
    {
        long length = RandomAccess.GetLength(_file!);
        if (length == 0 || length > 1 << 24)
        {
            return;
        }

        byte[] bytes = new byte[length];
        int read = RandomAccess.Read(_file!, bytes, 0);
        string[] lines = Encoding.ASCII.GetString(bytes, 0, read).Split('\n');
        string[] header = lines[0].Split(' ');
        if (header.Length != 2 || header[0] != Magic || !int.TryParse(header[1], NumberStyles.None, CultureInfo.InvariantCulture, out int strikes))
        {
            return;
        }

        var entries = new List<(TimelineId, Lsn)>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i] == "end")
            {
                Found = entries;
                FoundStrikes = strikes;
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
