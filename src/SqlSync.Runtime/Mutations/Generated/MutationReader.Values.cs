using System.Buffers.Binary;

namespace SqlSync.Mutations.Generated;

public ref partial struct MutationReader
{
    private const int DecimalMaxScale = 28;
    private const int MaxOffsetMinutes = 14 * 60;

    /// <summary>Reads a signed byte.</summary>
    public sbyte ReadSByte() => unchecked((sbyte)ReadByte());

    /// <summary>Reads 2 bytes, little-endian.</summary>
    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    /// <summary>Reads 2 bytes, little-endian.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    /// <summary>Reads an IEEE 754 single.</summary>
    public float ReadSingle() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    /// <summary>Reads a decimal written by <see cref="MutationWriter.WriteDecimal"/>.</summary>
    public decimal ReadDecimal()
    {
        ReadOnlySpan<byte> span = Take(14);
        byte scale = span[0];
        byte sign = span[1];
        if (scale > DecimalMaxScale)
        {
            throw Malformed($"a decimal scale must be at most {DecimalMaxScale}, not {scale}");
        }

        if (sign > 1)
        {
            throw Malformed($"a decimal sign byte must be 0 or 1, not {sign}");
        }

        int lo = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(2));
        int mid = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(6));
        int hi = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(10));
        return new decimal(lo, mid, hi, sign == 1, scale);
    }

    /// <summary>Reads a <see cref="DateTime"/> written by <see cref="MutationWriter.WriteDateTime"/>.</summary>
    public DateTime ReadDateTime()
    {
        byte kind = ReadByte();
        long ticks = ReadInt64();
        if (kind > (byte)DateTimeKind.Local)
        {
            throw Malformed($"a DateTime kind must be 0, 1 or 2, not {kind}");
        }

        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks)
        {
            throw Malformed($"DateTime ticks {ticks} are out of range");
        }

        return new DateTime(ticks, (DateTimeKind)kind);
    }

    /// <summary>Reads a <see cref="DateTimeOffset"/> written by <see cref="MutationWriter.WriteDateTimeOffset"/>.</summary>
    public DateTimeOffset ReadDateTimeOffset()
    {
        long ticks = ReadInt64();
        short offsetMinutes = ReadInt16();
        if (offsetMinutes < -MaxOffsetMinutes || offsetMinutes > MaxOffsetMinutes)
        {
            throw Malformed($"a DateTimeOffset offset of {offsetMinutes} minutes is out of range");
        }

        long utcTicks = ticks - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks || utcTicks < 0 || utcTicks > DateTime.MaxValue.Ticks)
        {
            throw Malformed($"DateTimeOffset ticks {ticks} with offset {offsetMinutes} minutes are out of range");
        }

        return new DateTimeOffset(ticks, TimeSpan.FromMinutes(offsetMinutes));
    }

    /// <summary>Reads a <see cref="TimeSpan"/> written by <see cref="MutationWriter.WriteTimeSpan"/>.</summary>
    public TimeSpan ReadTimeSpan() => new(ReadInt64());

    /// <summary>Reads a <see cref="DateOnly"/> written by <see cref="MutationWriter.WriteDateOnly"/>.</summary>
    public DateOnly ReadDateOnly()
    {
        int dayNumber = ReadInt32();
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw Malformed($"DateOnly day number {dayNumber} is out of range");
        }

        return DateOnly.FromDayNumber(dayNumber);
    }

    /// <summary>Reads a <see cref="TimeOnly"/> written by <see cref="MutationWriter.WriteTimeOnly"/>.</summary>
    public TimeOnly ReadTimeOnly()
    {
        long ticks = ReadInt64();
        if (ticks < 0 || ticks > TimeOnly.MaxValue.Ticks)
        {
            throw Malformed($"TimeOnly ticks {ticks} are out of range");
        }

        return new TimeOnly(ticks);
    }

    /// <summary>Reads a <see cref="Guid"/> written by <see cref="MutationWriter.WriteGuid"/>.</summary>
    public Guid ReadGuid() => new(Take(16), bigEndian: true);

    /// <summary>
    /// Reads a collection's element count. A count larger than the bytes left is malformed (every element
    /// takes at least one byte), so a damaged record cannot make the caller allocate a huge collection.
    /// </summary>
    public int ReadCount()
    {
        ulong count = ReadVarUInt64();
        if (count > (ulong)Remaining)
        {
            throw Malformed($"a count of {count} exceeds the {Remaining} byte(s) left");
        }

        return (int)count;
    }
}
