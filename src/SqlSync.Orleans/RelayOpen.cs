using SqlSync.Replication;

namespace SqlSync.Orleans;

/// <summary>What a document grain needs to open a connection's link: who it is, what it may do and its frames.</summary>
[GenerateSerializer]
internal sealed class RelayOpen
{
    /// <summary>The connection (one WebSocket on one silo).</summary>
    [Id(0)]
    public Guid Connection { get; set; }

    /// <summary>The principal the connection's silo authenticated, or null (anonymous).</summary>
    [Id(1)]
    public string? Principal { get; set; }

    /// <summary>The access the connection's silo granted to this document (it runs the authorization hook).</summary>
    [Id(2)]
    public DocumentAccess Access { get; set; }

    /// <summary>The client's hello frame: the grain's link speaks what the client speaks (its frame limit).</summary>
    [Id(3)]
    public byte[] Hello { get; set; } = [];

    /// <summary>The open-document frame.</summary>
    [Id(4)]
    public byte[] Open { get; set; } = [];

    /// <summary>The principal's quota account key on the connection's silo; the grain charges creations and claims to it on its own silo.</summary>
    [Id(5)]
    public string? QuotaKey { get; set; }
}
