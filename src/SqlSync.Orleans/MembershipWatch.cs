using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SqlSync.Orleans;

/// <summary>Tells the relay when a silo leaves the cluster (declared dead or shut down): see <see cref="ClusterRelay.SiloLeft"/>.</summary>
internal sealed class MembershipWatch : BackgroundService
{
    private readonly IClusterMembershipService _membership;
    private readonly ClusterRelay _relay;
    private readonly ILogger<MembershipWatch> _logger;

    public MembershipWatch(IClusterMembershipService membership, ClusterRelay relay, ILogger<MembershipWatch> logger)
    {
        _membership = membership;
        _relay = relay;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var gone = new HashSet<SiloAddress>();
        try
        {
            await foreach (ClusterMembershipSnapshot snapshot in _membership.MembershipUpdates.WithCancellation(stoppingToken).ConfigureAwait(false))
            {
                bool left = false;
                foreach ((SiloAddress silo, ClusterMember member) in snapshot.Members)
                {
                    if (member.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping && gone.Add(silo))
                    {
                        left = true;
                        _logger.LogInformation("Silo {Silo} left the cluster ({Status}): its documents' connections poll their grains.", silo, member.Status);
                    }
                }

                if (left)
                {
                    _relay.SiloLeft();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
