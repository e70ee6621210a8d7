using System.Collections.Concurrent;

namespace SqlSync.Replication;

/// <summary>
/// The server's <see cref="PrincipalQuota"/> per principal key: an authenticated principal's name, or one key per
/// remote address for anonymous links (<see cref="KeyFor"/>). Accounts idle for longer than the longest window
/// are dropped once there are many, so that a flood of addresses cannot grow it without bound. Thread-safe.
/// </summary>
internal sealed class QuotaLedger
{
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, PrincipalQuota> _accounts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>A ledger of accounts limited by <paramref name="limits"/>.</summary>
    public QuotaLedger(QuotaLimits limits, TimeProvider? time = null)
    {
        Limits = limits ?? throw new ArgumentNullException(nameof(limits));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The limits of every account.</summary>
    public QuotaLimits Limits { get; }

    /// <summary>
    /// The key of a link: <c>principal:NAME</c>, or <c>address:ADDRESS</c> for an anonymous link (IPv6 addresses by
    /// their /64 prefix, which one client usually holds whole).
    /// </summary>
    public static string KeyFor(string? principal, System.Net.IPAddress? remote)
    {
        if (principal is not null)
        {
            return "principal:" + principal;
        }

        if (remote is null)
        {
            return "address:unknown";
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            byte[] bytes = remote.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            remote = new System.Net.IPAddress(bytes);
        }

        return "address:" + remote;
    }

    /// <summary>The account of <paramref name="key"/>, created on first use.</summary>
    public PrincipalQuota For(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_accounts.Count > PruneAbove)
        {
            long idle = _time.GetUtcNow().UtcTicks - TimeSpan.FromHours(1).Ticks;
            foreach ((string name, PrincipalQuota account) in _accounts)
            {
                if (account.LastUsedTicks < idle && account.OpenDocuments == 0) // an account in use keeps its count
                {
                    _accounts.TryRemove(name, out _);
                }
            }
        }

        return _accounts.GetOrAdd(key, _ => new PrincipalQuota(Limits, _time));
    }
}
