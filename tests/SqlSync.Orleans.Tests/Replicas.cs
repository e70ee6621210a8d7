using SqlSync.Documents;
using SqlSync.Journals;

namespace SqlSync.Orleans.Tests;

/// <summary>Convergence and exactly-once checks over the replicas of one document.</summary>
internal static class Replicas
{
    /// <summary>Waits until every replica has nothing pending and holds the same storage as the others.</summary>
    public static async Task ConvergedAsync(IReadOnlyList<LocalDocument> replicas, string what, TimeSpan? timeout = null)
    {
        try
        {
            await Eventually.TrueAsync(() => replicas.All(r => r.PendingMutationCount == 0)
                    && replicas.All(r => !r.StorageRange.Next.Equals(Lsn.Zero) && r.StorageRange.Next == replicas[0].StorageRange.Next && r.StorageChecksum == replicas[0].StorageChecksum),
                $"{what}: every replica holds the same storage with nothing pending", timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + " Replicas: " + string.Join("; ", replicas.Select(r => $"pending {r.PendingMutationCount}, storage {r.StorageRange}")), ex);
        }
    }

    /// <summary>The names in a replica's log, in order.</summary>
    public static List<string> Log(LocalDocument replica) =>
        replica.Query("SELECT name FROM log ORDER BY seq").Select(row => (string)row[0]!).ToList();

    /// <summary>Asserts that the log holds each of <paramref name="written"/> exactly once, and nothing else.</summary>
    public static void ExactlyOnce(LocalDocument replica, IEnumerable<string> written)
    {
        List<string> log = Log(replica);
        List<string> doubled = log.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(doubled.Count == 0, $"{replica.DocumentId}: applied twice: {string.Join(", ", doubled.Take(10))}");
        Assert.Equal(written.OrderBy(n => n, StringComparer.Ordinal), log.OrderBy(n => n, StringComparer.Ordinal));
    }
}
