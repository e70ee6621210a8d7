using SqlSync.Journals;
using SqlSync.Mutations;

namespace SqlSync.Documents;

/// <summary>Timeline ownership (docs/decisions/0011-timeline-secrets-and-quotas.md).</summary>
public sealed partial class CoordinatorDocument
{
    private readonly Dictionary<TimelineId, TimelineOwnerRecord> _owners = new();

    /// <summary>
    /// Checks that the link of <paramref name="principal"/> (null: anonymous) holding <paramref name="secret"/> owns
    /// <paramref name="timeline"/>, and binds the timeline to both the first time it is claimed. With a null
    /// <paramref name="mayCreate"/> (a read-only link) nothing is written; otherwise a missing owner record is
    /// created if <paramref name="mayCreate"/> allows it (a quota; it is called under the document's lock and must
    /// not call back), a record of the previous version (a principal, no secret) takes the secret of its principal's
    /// next claim, and an anonymous record is adopted by an authenticated principal that holds its secret. Records are
    /// persisted as the note <c>owners/TIMELINE</c> of the journal store, so they survive restarts (and a move to another disk). Server-side only: owners
    /// never enter the replicated storage.
    /// </summary>
    internal TimelineClaim ClaimTimeline(TimelineId timeline, string? principal, TimelineSecret secret, Func<bool>? mayCreate)
    {
        if (!secret.IsValid)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, "A timeline claim needs the timeline's secret.");
        }

        lock (_sync)
        {
            ThrowIfDisposed();
            if (!_owners.TryGetValue(timeline, out TimelineOwnerRecord? owner))
            {
                owner = _journals.ReadOwner(timeline);
                if (owner is not null)
                {
                    _owners[timeline] = owner;
                }
            }

            if (owner is null)
            {
                if (mayCreate is null || !mayCreate())
                {
                    return TimelineClaim.Unclaimed;
                }

                Save(timeline, new TimelineOwnerRecord(principal, secret.Hash()));
                return TimelineClaim.Claimed;
            }

            if (owner.SecretHash is null)
            {
                // A record of the previous version: its principal's next read-write claim binds the secret.
                if (owner.Principal != principal)
                {
                    return TimelineClaim.OtherPrincipal;
                }

                if (mayCreate is not null)
                {
                    Save(timeline, owner with { SecretHash = secret.Hash() });
                }

                return TimelineClaim.Owned;
            }

            if (!secret.Matches(owner.SecretHash))
            {
                return TimelineClaim.WrongSecret;
            }

            if (owner.Principal == principal)
            {
                return TimelineClaim.Owned;
            }

            if (owner.Principal is null && principal is not null && mayCreate is not null)
            {
                // The client that created the timeline anonymously has signed in: the secret proves it is the same one.
                Save(timeline, owner with { Principal = principal });
                return TimelineClaim.Owned;
            }

            return TimelineClaim.OtherPrincipal;
        }
    }

    private void Save(TimelineId timeline, TimelineOwnerRecord record)
    {
        try
        {
            _journals.WriteOwner(timeline, record);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            // The disk full or the store unreachable: the claim is refused with the code a client retries later.
            throw new SqlSyncException(SqlSyncErrorCode.StorageUnavailable,
                $"Document '{DocumentId}': the server could not write the owner record of timeline {timeline} ({StorageFaults.Describe(e)}); try again later.", e);
        }

        _owners[timeline] = record;
    }
}
