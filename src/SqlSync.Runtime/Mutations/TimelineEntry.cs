using System.Buffers.Binary;

namespace SqlSync.Mutations;

/// <summary>
/// A timeline journal entry: the envelope around one mutation record. Binary form: u8 version (1),
/// i64 little-endian Unix milliseconds when the mutation was made, then the record (tag, arguments).
/// </summary>
internal readonly ref struct TimelineEntry
{
    /// <summary>The envelope version this code writes.</summary>
    public const byte Version = 1;

    /// <summary>Bytes before the record.</summary>
    public const int HeaderSize = 9;

    private static readonly long MinTimestamp = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxTimestamp = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private TimelineEntry(long timestamp, ReadOnlySpan<byte> mutation)
    {
        TimestampUnixMilliseconds = timestamp;
        Mutation = mutation;
    }

    /// <summary>When the mutation was made; what <see cref="IMutationContext.Now"/> returns on every replica.</summary>
    public long TimestampUnixMilliseconds { get; }

    /// <summary>The mutation record: tag, then arguments.</summary>
    public ReadOnlySpan<byte> Mutation { get; }

    /// <summary>Writes an envelope into a new array.</summary>
    public static byte[] Encode(long timestampUnixMilliseconds, ReadOnlySpan<byte> mutation)
    {
        byte[] entry = new byte[HeaderSize + mutation.Length];
        EncodeInto(entry, timestampUnixMilliseconds, mutation);
        return entry;
    }

    /// <summary>Writes an envelope at the start of <paramref name="destination"/> and returns its length.</summary>
    internal static int EncodeInto(Span<byte> destination, long timestampUnixMilliseconds, ReadOnlySpan<byte> mutation)
    {
        int length = HeaderSize + mutation.Length;
        destination = destination[..length];
        destination[0] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], timestampUnixMilliseconds);
        mutation.CopyTo(destination[HeaderSize..]);
        return length;
    }

    /// <summary>Reads an envelope; a wrong version or a short entry is <see cref="SqlSyncErrorCode.MalformedMutation"/>.</summary>
    public static TimelineEntry Decode(ReadOnlySpan<byte> entry)
    {
        if (entry.Length < HeaderSize + 4)
        {
            throw new SqlSyncException(SqlSyncErrorCode.MalformedMutation,
                $"Malformed timeline entry: {entry.Length} byte(s) cannot hold an envelope and a mutation tag.");
        }

        if (entry[0] != Version)
        {
            throw new SqlSyncException(SqlSyncErrorCode.MalformedMutation,
                $"Malformed timeline entry: envelope version {entry[0]} is not supported (this build reads version {Version}).");
        }

        long timestamp = BinaryPrimitives.ReadInt64LittleEndian(entry[1..]);
        if (timestamp < MinTimestamp || timestamp > MaxTimestamp)
        {
            // A mutation's Now is a DateTimeOffset: a timestamp outside its range would throw while applying,
            // outside the reducer, and stop the document; such an entry is malformed and gets rejected instead.
            throw new SqlSyncException(SqlSyncErrorCode.MalformedMutation,
                $"Malformed timeline entry: timestamp {timestamp} is outside the range of DateTimeOffset.");
        }

        return new TimelineEntry(timestamp, entry[HeaderSize..]);
    }
}
