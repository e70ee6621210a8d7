using System.Security.Cryptography;

namespace SqlSync.Mutations;

/// <summary>
/// The proof that a client owns its timeline: 32 random bytes generated with the timeline and kept beside its id
/// in the client's files, never in the replicated database, so no replica can read another client's. A client
/// sends it when it opens a document; the server keeps only its SHA-256 hash (docs/protocol.md, "Timeline
/// ownership"). Compared in constant time; <see cref="ToString"/> never shows the bytes.
/// </summary>
internal readonly struct TimelineSecret : IEquatable<TimelineSecret>
{
    /// <summary>Bytes in a secret.</summary>
    public const int Length = 32;

    private readonly byte[]? _bytes;

    /// <summary>A secret of exactly <see cref="Length"/> bytes.</summary>
    public TimelineSecret(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"A timeline secret has {Length} bytes, not {bytes.Length}.");
        }

        _bytes = bytes.ToArray();
    }

    /// <summary>The secret's bytes; empty for the default value (no secret).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>False for the default value, which proves nothing and cannot be sent.</summary>
    public bool IsValid => _bytes is not null;

    /// <summary>A new random secret, from the operating system's cryptographic generator.</summary>
    public static TimelineSecret New() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>Parses the form <see cref="ToHex"/> writes.</summary>
    public static TimelineSecret ParseHex(string text) => new(Convert.FromHexString(text));

    /// <summary>The secret as hexadecimal text, for the client's own file.</summary>
    public string ToHex() => Convert.ToHexString(Bytes);

    /// <summary>The SHA-256 hash the server keeps instead of the secret.</summary>
    public byte[] Hash() => SHA256.HashData(Bytes);

    /// <summary>Whether <paramref name="hash"/> is this secret's <see cref="Hash"/>, compared in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> hash) => CryptographicOperations.FixedTimeEquals(Hash(), hash);

    /// <inheritdoc />
    public bool Equals(TimelineSecret other) => CryptographicOperations.FixedTimeEquals(Bytes, other.Bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TimelineSecret other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(Hash()); // never the secret's own bytes

    /// <inheritdoc />
    public override string ToString() => IsValid ? "TimelineSecret(hidden)" : "TimelineSecret(none)";

    /// <summary>Equality by value.</summary>
    public static bool operator ==(TimelineSecret left, TimelineSecret right) => left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(TimelineSecret left, TimelineSecret right) => !left.Equals(right);
}
