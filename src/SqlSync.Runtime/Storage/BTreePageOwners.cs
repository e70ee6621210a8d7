using System.Buffers.Binary;

namespace SqlSync.Storage;

/// <summary>
/// Which b-tree each page of the committed view belongs to: walks every tree from its root page (interior
/// pages' children and the overflow chains of cells, SQLite's file format section 1.6), so that the pages a
/// coordinator entry wrote name the tables it changed. A page no tree reaches (free list, pointer map) belongs to
/// none: a tree that lost or gained a page always has a page of its own rewritten too (the parent's pointer).
/// Bytes are untrusted: a malformed page (unknown type, a pointer out of range, a page reached twice) makes the
/// whole answer unknown, never wrong.
/// </summary>
internal static class BTreePageOwners
{
    private const byte InteriorIndex = 2;
    private const byte InteriorTable = 5;
    private const byte LeafIndex = 10;
    private const byte LeafTable = 13;

    /// <summary>Page → root page for every page the trees of <paramref name="roots"/> reach; null when a page is malformed.</summary>
    public static Dictionary<uint, uint>? Map(PageStorage storage, IEnumerable<long> roots)
    {
        uint size = storage.CommittedSizeInPages;
        int usable = StorageFormat.PageSize - storage.CommittedPage(1)[20]; // byte 20: reserved bytes per page
        var owners = new Dictionary<uint, uint>();
        var stack = new Stack<uint>();
        foreach (long rootNumber in roots)
        {
            if (rootNumber <= 0 || rootNumber > size)
            {
                return null;
            }

            uint root = (uint)rootNumber;
            stack.Push(root);
            while (stack.TryPop(out uint page))
            {
                if (page == 0 || page > size || !owners.TryAdd(page, root)
                    || !Visit(storage, page, root, usable, size, stack, owners))
                {
                    return null;
                }
            }
        }

        return owners;
    }

    /// <summary>Pushes the page's children and files its cells' overflow pages under <paramref name="root"/>; false when malformed.</summary>
    private static bool Visit(PageStorage storage, uint number, uint root, int usable, uint size, Stack<uint> children, Dictionary<uint, uint> owners)
    {
        ReadOnlySpan<byte> page = storage.CommittedPage(number);
        int header = number == 1 ? 100 : 0; // page 1 starts with the database header
        byte type = page[header];
        bool interior = type is InteriorIndex or InteriorTable;
        if (!interior && type is not (LeafIndex or LeafTable))
        {
            return false;
        }

        int cells = BinaryPrimitives.ReadUInt16BigEndian(page[(header + 3)..]);
        int pointers = header + (interior ? 12 : 8);
        if (pointers + (2 * cells) > page.Length)
        {
            return false;
        }

        if (interior)
        {
            children.Push(BinaryPrimitives.ReadUInt32BigEndian(page[(header + 8)..]));
        }

        long max = type is LeafTable ? usable - 35 : ((usable - 12) * 64 / 255) - 23;
        long min = ((usable - 12) * 32 / 255) - 23;
        for (int i = 0; i < cells; i++)
        {
            int at = BinaryPrimitives.ReadUInt16BigEndian(page[(pointers + (2 * i))..]);
            if (interior)
            {
                if (at + 4 > page.Length)
                {
                    return false;
                }

                children.Push(BinaryPrimitives.ReadUInt32BigEndian(page[at..]));
                at += 4;
                if (type == InteriorTable)
                {
                    continue; // a child pointer and a rowid: no payload
                }
            }

            if (!ReadVarint(page, ref at, out long payload) || payload < 0
                || (type == LeafTable && !ReadVarint(page, ref at, out _)))
            {
                return false;
            }

            if (payload <= max)
            {
                continue;
            }

            long rest = min + ((payload - min) % (usable - 4));
            long local = rest <= max ? rest : min;
            if (at + local + 4 > page.Length)
            {
                return false;
            }

            uint overflow = BinaryPrimitives.ReadUInt32BigEndian(page[(int)(at + local)..]);
            while (overflow != 0)
            {
                if (overflow > size || !owners.TryAdd(overflow, root))
                {
                    return false;
                }

                overflow = BinaryPrimitives.ReadUInt32BigEndian(storage.CommittedPage(overflow)); // an overflow page starts with the next one
            }
        }

        return true;
    }

    /// <summary>SQLite's varint: 1 to 9 bytes, big-endian groups of 7 bits, the ninth byte whole.</summary>
    private static bool ReadVarint(ReadOnlySpan<byte> page, ref int at, out long value)
    {
        value = 0;
        for (int i = 0; i < 9; i++)
        {
            if (at >= page.Length)
            {
                return false;
            }

            byte b = page[at++];
            if (i == 8)
            {
                value = (value << 8) | b;
                return true;
            }

            value = (value << 7) | (long)(b & 0x7F);
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return true;
    }
}
