using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SqlSync.Journals;

/// <summary>
/// XXH3-64 of long inputs: the same values as <see cref="XxHash3.HashToUInt64(ReadOnlySpan{byte}, long)"/>, for the hot
/// paths (journal frames, page hashes). The loop is compiled fully optimized at its first call. The library's vector
/// methods have no precompiled code and stayed in instrumented JIT tiers for a whole 100 MB initial sync (a fifth of its
/// CPU, decision 0043). Inputs of 240 bytes or less, and machines without AVX2, go to the library.
/// </summary>
internal static class LongXxHash3
{
    private const int StripeLength = 64;
    private const int SecretLength = 192;
    private const int StripesPerBlock = (SecretLength - StripeLength) / 8; // 16
    private const int BlockLength = StripeLength * StripesPerBlock; // 1,024
    private const int LastStripeSecretOffset = SecretLength - StripeLength - 7;
    private const int MergeSecretOffset = 11;
    private const int MaxShortLength = 240;

    private const ulong Prime32_1 = 0x9E3779B1, Prime32_2 = 0x85EBCA77, Prime32_3 = 0xC2B2AE3D;
    private const ulong Prime64_1 = 0x9E3779B185EBCA87, Prime64_2 = 0xC2B2AE3D27D4EB4F, Prime64_3 = 0x165667B19E3779F9;
    private const ulong Prime64_4 = 0x85EBCA77C2B2AE63, Prime64_5 = 0x27D4EB2F165667C5, PrimeMx1 = 0x165667919E3779F9;

    /// <summary>The hash of <paramref name="source"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> source, long seed = 0) =>
        source.Length <= MaxShortLength || !Avx2.IsSupported ? XxHash3.HashToUInt64(source, seed) : HashLong(default, source, (ulong)seed);

    /// <summary>
    /// The hash (seed 0) of <paramref name="head"/> followed by <paramref name="body"/>, without joining them: a journal
    /// frame's header and its payload, written with one gathered write. <paramref name="head"/> is at most 64 bytes.
    /// </summary>
    public static ulong Hash(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(head.Length, StripeLength, nameof(head));
        if ((long)head.Length + body.Length > BlockLength + StripeLength && Avx2.IsSupported)
        {
            return HashLong(head, body, 0);
        }

        var hash = new XxHash3();
        hash.Append(head);
        hash.Append(body);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>XXH3's long-input path over head + body (head empty, or short and the whole is over a block and a stripe).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ulong HashLong(ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, ulong seed)
    {
        Span<byte> derived = stackalloc byte[SecretLength];
        if (seed != 0)
        {
            ReadOnlySpan<byte> standard = DefaultSecret;
            for (int i = 0; i < SecretLength; i += 16)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(derived[i..], unchecked(BinaryPrimitives.ReadUInt64LittleEndian(standard[i..]) + seed));
                BinaryPrimitives.WriteUInt64LittleEndian(derived[(i + 8)..], unchecked(BinaryPrimitives.ReadUInt64LittleEndian(standard[(i + 8)..]) - seed));
            }
        }

        ReadOnlySpan<byte> secret = seed == 0 ? DefaultSecret : derived;

        // A head goes into a copy of the first block, so that every block after it is a slice of the body.
        long length = (long)head.Length + body.Length;
        Span<byte> first = stackalloc byte[head.IsEmpty ? 0 : BlockLength];
        ReadOnlySpan<byte> rest = body;
        int restStart = 0; // where rest starts in the whole input
        if (!head.IsEmpty)
        {
            head.CopyTo(first);
            body[..(BlockLength - head.Length)].CopyTo(first[head.Length..]);
            rest = body[(BlockLength - head.Length)..];
            restStart = BlockLength;
        }

        ref byte key = ref MemoryMarshal.GetReference(secret);
        Vector256<ulong> low = Vector256.Create(Prime32_3, Prime64_1, Prime64_2, Prime64_3);
        Vector256<ulong> high = Vector256.Create(Prime64_4, Prime32_2, Prime64_5, Prime32_1);
        long blocks = (length - 1) / BlockLength;
        for (long n = 0; n < blocks; n++)
        {
            ref byte block = ref n == 0 && restStart > 0
                ? ref MemoryMarshal.GetReference(first)
                : ref Unsafe.Add(ref MemoryMarshal.GetReference(rest), (nint)(n * BlockLength - restStart));
            for (int s = 0; s < StripesPerBlock; s++)
            {
                Accumulate(ref low, ref high, ref Unsafe.Add(ref block, s * StripeLength), ref Unsafe.Add(ref key, s * 8));
            }

            Scramble(ref low, ref high, ref Unsafe.Add(ref key, SecretLength - StripeLength));
        }

        ref byte last = ref Unsafe.Add(ref MemoryMarshal.GetReference(rest), (nint)(blocks * BlockLength - restStart));
        int stripes = (int)((length - 1 - blocks * BlockLength) / StripeLength);
        for (int s = 0; s < stripes; s++)
        {
            Accumulate(ref low, ref high, ref Unsafe.Add(ref last, s * StripeLength), ref Unsafe.Add(ref key, s * 8));
        }

        Accumulate(ref low, ref high, ref Unsafe.Add(ref MemoryMarshal.GetReference(rest), (nint)(length - StripeLength - restStart)),
            ref Unsafe.Add(ref key, LastStripeSecretOffset));

        unchecked
        {
            ulong result = (ulong)length * Prime64_1;
            result += Mix(low.GetElement(0), low.GetElement(1), secret[MergeSecretOffset..]);
            result += Mix(low.GetElement(2), low.GetElement(3), secret[(MergeSecretOffset + 16)..]);
            result += Mix(high.GetElement(0), high.GetElement(1), secret[(MergeSecretOffset + 32)..]);
            result += Mix(high.GetElement(2), high.GetElement(3), secret[(MergeSecretOffset + 48)..]);
            result ^= result >> 37;
            result *= PrimeMx1;
            return result ^ (result >> 32);
        }
    }

    /// <summary>One stripe of 64 bytes into the eight accumulators (XXH3_accumulate_512, AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector256<ulong> low, ref Vector256<ulong> high, ref byte stripe, ref byte key)
    {
        low = AccumulateHalf(low, Vector256.LoadUnsafe(ref stripe).AsUInt64(), Vector256.LoadUnsafe(ref key).AsUInt64());
        high = AccumulateHalf(high, Vector256.LoadUnsafe(ref stripe, 32).AsUInt64(), Vector256.LoadUnsafe(ref key, 32).AsUInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> AccumulateHalf(Vector256<ulong> accumulator, Vector256<ulong> data, Vector256<ulong> key)
    {
        Vector256<ulong> mixed = data ^ key;
        Vector256<ulong> product = Avx2.Multiply(mixed.AsUInt32(), Avx2.ShiftRightLogical(mixed, 32).AsUInt32());
        Vector256<ulong> swapped = Avx2.Shuffle(data.AsUInt32(), 0b01_00_11_10).AsUInt64(); // lane i gets lane i ^ 1
        return accumulator + swapped + product;
    }

    /// <summary>The accumulators' scramble after each block (XXH3_scrambleAcc, AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scramble(ref Vector256<ulong> low, ref Vector256<ulong> high, ref byte key)
    {
        low = ScrambleHalf(low, Vector256.LoadUnsafe(ref key).AsUInt64());
        high = ScrambleHalf(high, Vector256.LoadUnsafe(ref key, 32).AsUInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> ScrambleHalf(Vector256<ulong> accumulator, Vector256<ulong> key)
    {
        Vector256<uint> prime = Vector256.Create(Prime32_1).AsUInt32();
        Vector256<ulong> mixed = accumulator ^ Avx2.ShiftRightLogical(accumulator, 47) ^ key;
        Vector256<ulong> productLow = Avx2.Multiply(mixed.AsUInt32(), prime);
        Vector256<ulong> productHigh = Avx2.Multiply(Avx2.ShiftRightLogical(mixed, 32).AsUInt32(), prime);
        return productLow + Avx2.ShiftLeftLogical(productHigh, 32);
    }

    private static ulong Mix(ulong first, ulong second, ReadOnlySpan<byte> key)
    {
        ulong high = Math.BigMul(first ^ BinaryPrimitives.ReadUInt64LittleEndian(key), second ^ BinaryPrimitives.ReadUInt64LittleEndian(key[8..]), out ulong low);
        return low ^ high;
    }

    /// <summary>XXH3's default secret (kSecret).</summary>
    private static ReadOnlySpan<byte> DefaultSecret =>
    [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
        0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
        0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
        0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
        0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
        0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
        0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
        0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
        0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
        0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
        0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
        0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
    ];
}
