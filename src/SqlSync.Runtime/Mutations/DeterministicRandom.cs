using System.Buffers.Binary;
using System.IO.Hashing;
using SqlSync.Journals;

namespace SqlSync.Mutations;

/// <summary>
/// The random numbers a mutation may use: SplitMix64 seeded from (timeline id, LSN), so every replica that
/// applies the same record draws the same sequence. Integer arithmetic only, the same on every platform.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _state;

    /// <summary>A generator seeded for the mutation at <paramref name="lsn"/> of <paramref name="timeline"/>.</summary>
    internal DeterministicRandom(TimelineId timeline, Lsn lsn)
    {
        Reseed(timeline, lsn);
    }

    /// <summary>Starts the sequence of another mutation.</summary>
    internal void Reseed(TimelineId timeline, Lsn lsn)
    {
        Span<byte> seed = stackalloc byte[24];
        timeline.Value.TryWriteBytes(seed);
        BinaryPrimitives.WriteUInt64LittleEndian(seed[16..], lsn.Value);
        _state = XxHash3.HashToUInt64(seed);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt32(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), "The upper bound must exceed the lower bound.");
        }

        ulong range = (ulong)((long)maxExclusive - minInclusive);
        ulong limit = ulong.MaxValue - (ulong.MaxValue % range);
        ulong value;
        do
        {
            value = NextUInt64();
        }
        while (value >= limit);

        return (int)((long)minInclusive + (long)(value % range));
    }

    /// <summary>A number in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A version-4 GUID made of random bits.</summary>
    public Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, NextUInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], NextUInt64());
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid's byte layout keeps it in byte 7)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}
