using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SqlSync.Storage.Vfs;

namespace SqlSync.Storage;

/// <summary>
/// Which tables the writer connection wrote since the last <see cref="Take"/>: SQLite's pre-update hook
/// names the table of every row change, including WITHOUT ROWID tables, trigger bodies, foreign-key
/// cascades, and <c>DELETE</c> without <c>WHERE</c> (SQLite skips its truncate shortcut while the hook is
/// set). Installed only while a live query exists, so mutations pay nothing otherwise. The callback
/// compares the table name with the previous one before decoding it, so a bulk write of one table costs a
/// short byte comparison per row.
/// </summary>
internal sealed unsafe class TableWriteTracker
{
    private readonly IntPtr _db;
    private readonly HashSet<string> _written = new(StringComparer.OrdinalIgnoreCase);
    private byte[] _last = new byte[64];
    private int _lastLength = -1;
    private GCHandle _self;

    public TableWriteTracker(IntPtr db)
    {
        _db = db;
    }

    /// <summary>True while the hook is set.</summary>
    public bool Installed => _self.IsAllocated;

    /// <summary>
    /// True when a callback failed (it cannot throw into SQLite): what was written is then unknown, and the
    /// next <see cref="Take"/> reports it so that every live query runs again.
    /// </summary>
    private bool _unknown;

    public void Install()
    {
        if (_self.IsAllocated)
        {
            return;
        }

        _self = GCHandle.Alloc(this);
        SqliteVfsInterop.PreUpdateHook(_db, &OnPreUpdate, GCHandle.ToIntPtr(_self));
    }

    public void Uninstall()
    {
        if (!_self.IsAllocated)
        {
            return;
        }

        SqliteVfsInterop.PreUpdateHook(_db, null, IntPtr.Zero);
        _self.Free();
        _written.Clear();
        _lastLength = -1;
    }

    /// <summary>The tables written since the last call (null: unknown, treat as every table), and forgets them.</summary>
    public HashSet<string>? Take()
    {
        if (_unknown)
        {
            _unknown = false;
            _written.Clear();
            _lastLength = -1;
            return null;
        }

        var taken = new HashSet<string>(_written, StringComparer.OrdinalIgnoreCase);
        _written.Clear();
        _lastLength = -1;
        return taken;
    }

    /// <summary>True when nothing was written since the last <see cref="Take"/>.</summary>
    public bool IsEmpty => !_unknown && _written.Count == 0;

    [UnmanagedCallersOnly]
    private static void OnPreUpdate(IntPtr context, IntPtr db, int operation, byte* database, byte* table, long key1, long key2)
    {
        TableWriteTracker? tracker = null;
        try
        {
            tracker = (TableWriteTracker?)GCHandle.FromIntPtr(context).Target;
            tracker?.Record(table);
        }
        catch (Exception)
        {
            if (tracker is not null)
            {
                tracker._unknown = true; // recorded: the next Take reports "every table"
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Record(byte* table)
    {
        ReadOnlySpan<byte> name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(table);
        if (_lastLength == name.Length && name.SequenceEqual(_last.AsSpan(0, _lastLength)))
        {
            return;
        }

        _written.Add(Encoding.UTF8.GetString(name));
        if (_last.Length < name.Length)
        {
            _last = new byte[name.Length * 2];
        }

        name.CopyTo(_last);
        _lastLength = name.Length;
    }
}
