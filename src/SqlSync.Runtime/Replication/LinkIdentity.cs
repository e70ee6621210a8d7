namespace SqlSync.Replication;

/// <summary>
/// Who is on the other end of a server link, as the host's authentication established it, and what it may
/// open. <see cref="Principal"/> binds timelines: once a principal opened a document with a timeline, no
/// other principal may use that timeline. Anonymous links (null principal) bind nothing.
/// </summary>
/// <param name="Principal">A stable name of the authenticated user or device, or null.</param>
/// <param name="Authorize">Decides the access to each document this link opens.</param>
public sealed record LinkIdentity(string? Principal, Func<string, DocumentAccess> Authorize)
{
    /// <summary>An anonymous link that may read and write every document.</summary>
    public static LinkIdentity Anonymous { get; } = new(null, _ => DocumentAccess.ReadWrite);
}
