using SqlSync.Replication;

namespace SqlSync.Transport;

/// <summary>
/// The client's reconnect delays (docs/protocol.md, "Reconnecting"). The delay doubles from the minimum to the maximum
/// with every session that did not sync, whether the connection failed or the server refused it (an error frame): a
/// refusal that repeats, such as a damaged document on the server, backs off like a server that is down. It returns to
/// the minimum only after a session that synced (an acknowledgement or storage arrived, or every document was open and
/// uploaded) and ended without a refusal. A refusal that retrying cannot heal (no common version, access denied, a
/// timeline of another principal) waits the maximum at once. Jitter of ±50% is applied by <see cref="Jitter"/>.
/// Not thread-safe: the reconnect loop owns it.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;

    public ReconnectBackoff(TimeSpan min, TimeSpan max)
    {
        _min = min;
        _max = max;
    }

    /// <summary>Sessions since the last one that synced.</summary>
    public int Failures { get; private set; }

    /// <summary>
    /// Records how a session ended and returns the delay (before jitter) until the next attempt. <paramref name="synced"/>:
    /// the session synced something; <paramref name="error"/>: why it ended (null when it was not an error).
    /// </summary>
    public TimeSpan Next(bool synced, Exception? error)
    {
        ProtocolErrorCode? refusal = RefusalOf(error);
        if (synced && refusal is null)
        {
            Failures = 0;
        }

        Failures++;
        if (refusal is ProtocolErrorCode.UnsupportedVersion or ProtocolErrorCode.AccessDenied or ProtocolErrorCode.TimelineForgery)
        {
            return _max;
        }

        double ms = _min.TotalMilliseconds * Math.Pow(2, Math.Min(Failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _max.TotalMilliseconds));
    }

    /// <summary><paramref name="delay"/> times a random factor in [0.5, 1.5), so that clients refused together do not return together.</summary>
    public static TimeSpan Jitter(TimeSpan delay, Random random) => delay * (0.5 + random.NextDouble());

    /// <summary>The protocol error of a refusal (an error frame from the server, or a server frame this client refused), else null.</summary>
    private static ProtocolErrorCode? RefusalOf(Exception? error) =>
        error?.Data[nameof(ProtocolErrorCode)] is ProtocolErrorCode code ? code : null;
}
