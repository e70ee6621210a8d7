namespace SqlSync.Replication;

/// <summary>
/// Who is on the other end of a server link, as the host's authentication established it, and what it may
/// open. A timeline is bound to the principal and the secret of the first read-write link that opens a document
/// with it; read-only links bind nothing (docs/decisions/0011-timeline-secrets-and-quotas.md).
/// </summary>
/// <param name="Principal">A stable name of the authenticated user or device, or null (anonymous).</param>
/// <param name="Authorize">Decides the access to each document this link opens.</param>
/// <param name="Quota">The principal's quota account, shared by its links; null: no limits.</param>
internal sealed record LinkIdentity(string? Principal, Func<string, DocumentAccess> Authorize, PrincipalQuota? Quota = null)
{
    /// <summary>An anonymous link that may read and write every document, without quotas.</summary>
    public static LinkIdentity Anonymous { get; } = new(null, _ => DocumentAccess.ReadWrite);

    /// <summary>The <see cref="QuotaLedger"/> key of <see cref="Quota"/> (a cluster's relaying silo hands it to the document's grain).</summary>
    public string? QuotaKey { get; init; }

    /// <summary>
    /// True for a document grain's link in a cluster: the connection's silo counts the open documents and the uploads
    /// (entries on its own link, entry parts as it relays them), so this one charges <see cref="Quota"/> only for what
    /// the grain alone can tell, creations and timeline claims (decision 0038).
    /// </summary>
    public bool QuotaForCreationsOnly { get; init; }
}
