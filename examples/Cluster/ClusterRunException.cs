namespace Cluster;

/// <summary>A run that cannot go on (Azurite missing, a silo that did not start, no convergence in time): its message is the whole story.</summary>
internal sealed class ClusterRunException : Exception
{
    public ClusterRunException(string message)
        : base(message)
    {
    }

    public ClusterRunException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ClusterRunException()
    {
    }
}
