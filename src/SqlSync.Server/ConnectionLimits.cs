using Microsoft.Extensions.Options;
using SqlSync.Replication;
using SqlSync.Transport;

namespace SqlSync.Server;

/// <summary>
/// What one connection may cost the server (docs/protocol.md, "Limits"): the hello deadline, the message limits
/// before and after hello, the receive budget all connections share, the send timeout and the keep-alive. One per
/// server (a singleton), so the budget is server-wide.
/// </summary>
internal sealed class ConnectionLimits
{
    public ConnectionLimits(IOptions<SqlSyncServerOptions> options)
    {
        SqlSyncServerOptions o = options.Value;
        Require(o.HelloTimeout > TimeSpan.Zero, $"HelloTimeout must be positive, not {o.HelloTimeout}.");
        Require(o.MaxHelloBytes >= SyncProtocol.HeaderSize + 64, $"MaxHelloBytes must be at least {SyncProtocol.HeaderSize + 64}, not {o.MaxHelloBytes}.");
        Require(o.MaxReceiveBufferBytes >= Math.Max(o.MaxHelloBytes, 64 << 10),
            $"MaxReceiveBufferBytes must hold at least one hello and 64 KiB, not {o.MaxReceiveBufferBytes}.");
        Require(o.MaxEntryBytesPerConnection >= 1, $"MaxEntryBytesPerConnection must be positive, not {o.MaxEntryBytesPerConnection}.");
        Require(o.MaxOpenDocumentsPerPrincipal is null or >= 1, $"MaxOpenDocumentsPerPrincipal must be positive or null, not {o.MaxOpenDocumentsPerPrincipal}.");
        Require(o.SendTimeout > TimeSpan.Zero, $"SendTimeout must be positive, not {o.SendTimeout}.");
        Require(o.KeepAliveInterval >= TimeSpan.Zero, $"KeepAliveInterval must not be negative, not {o.KeepAliveInterval}.");
        Require(o.KeepAliveTimeout > TimeSpan.Zero || o.KeepAliveTimeout == Timeout.InfiniteTimeSpan,
            $"KeepAliveTimeout must be positive or infinite, not {o.KeepAliveTimeout}.");
        HelloTimeout = o.HelloTimeout;
        MaxHelloBytes = o.MaxHelloBytes;
        MaxFrameBytes = o.Replication.MaxFrameBytes;
        SendTimeout = o.SendTimeout;
        KeepAliveInterval = o.KeepAliveInterval;
        KeepAliveTimeout = o.KeepAliveTimeout;
        Budget = new ReceiveBudget(o.MaxReceiveBufferBytes);
        MaxEntryBytesPerConnection = (int)Math.Min(o.MaxEntryBytesPerConnection, Math.Min(o.MaxReceiveBufferBytes, o.Replication.MaxEntryBytes));
    }

    /// <summary>The largest entry one connection may have in reassembly: the option, at most the budget and the entry limit.</summary>
    public int MaxEntryBytesPerConnection { get; }

    public TimeSpan HelloTimeout { get; }

    public int MaxHelloBytes { get; }

    public int MaxFrameBytes { get; }

    public TimeSpan SendTimeout { get; }

    public TimeSpan KeepAliveInterval { get; }

    public TimeSpan KeepAliveTimeout { get; }

    /// <summary>The bytes all connections hold for messages still arriving and entries in reassembly.</summary>
    public ReceiveBudget Budget { get; }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, message);
        }
    }
}
