namespace SqlSync.Documents;

/// <summary>What <see cref="CoordinatorDocument.ClaimTimeline"/> found or did.</summary>
internal enum TimelineClaim
{
    /// <summary>The timeline's owner record names this principal and this secret: the link may use it.</summary>
    Owned,
    /// <summary>Nobody owned the timeline; an owner record binding it to this principal and secret was written now.</summary>
    Claimed,
    /// <summary>Nobody owns the timeline and no record was written (a read-only claim, or the creation was refused).</summary>
    Unclaimed,
    /// <summary>The timeline belongs to another principal.</summary>
    OtherPrincipal,
    /// <summary>The timeline is bound to another secret: another client created it.</summary>
    WrongSecret,
}
