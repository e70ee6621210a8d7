using System.Diagnostics;
using System.Globalization;
using SqlSync.Documents;

namespace Cluster;

/// <summary>
/// The run: Azurite (blob + table), three silo processes in one Orleans cluster, todo clients spread over them by a
/// balancer without affinity, one silo killed while the clients edit, and the proof at the end that every replica of
/// every list holds the same bytes as a fresh replica made from the cluster's copy. Every child process and
/// temporary folder is removed at the end, on failure and on Ctrl+C too.
/// </summary>
internal static class Orchestrator
{
    private const string Container = "todo-lists";

    public static async Task<int> RunAsync(OrchestratorOptions options)
    {
        var clock = Stopwatch.StartNew();
        string run = Guid.NewGuid().ToString("N")[..8];
        string root = Path.Combine(Path.GetTempPath(), "sqlsync-cluster-" + run);
        using var cancel = new CancellationTokenSource(options.Timeout);
        var state = new RunState(options, clock);
        bool interrupted = false;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // clean up first: the finally below kills the children and deletes the folders
            interrupted = true;
            state.Done = true; // the terminal stopped the silos too (one process group): their clients' losses are not news
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;

        EventHandler onExit = (_, _) => state.KillChildren(); // SIGTERM: no finally runs, so the children go here
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            await RunAsync(state, root, run, cancel.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            if (interrupted)
            {
                state.Say("interrupted: cleaning up");
                return 130;
            }

            state.Fail($"timed out after {options.Timeout.TotalSeconds:0} s while {state.Step}");
            return 1;
        }
        catch (ClusterRunException ex)
        {
            state.Fail(ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug in the run itself: reported like a failed run (exit 1), after the children are stopped below.
            state.Fail($"the run failed unexpectedly while {state.Step}: {ex}");
            return 1;
        }
        finally
        {
            state.Done = true;
            await state.DisposeAsync();
            TempFolder.Delete(root);
            AppDomain.CurrentDomain.ProcessExit -= onExit;
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static async Task RunAsync(RunState state, string root, string run, CancellationToken cancellationToken)
    {
        OrchestratorOptions options = state.Options;
        state.Step = "starting Azurite";
        state.Say("starting Azurite (blob and table services) from eng/azurite");
        state.Azurite = await Azurite.StartAsync(Path.Combine(root, "azurite"), cancellationToken);
        state.Say($"Azurite: blobs on 127.0.0.1:{state.Azurite.BlobPort}, tables on 127.0.0.1:{state.Azurite.TablePort}");

        state.Step = "starting the silos";
        string clusterId = "todo-" + run;
        for (int i = 1; i <= options.Silos; i++)
        {
            state.Silos.Add(SiloProcess.Start($"silo{i}", clusterId, Container, Path.Combine(root, $"silo{i}"), state.Azurite.ConnectionString, options.Verbose));
        }

        state.Say($"starting {options.Silos} silo processes (Orleans cluster '{clusterId}', membership in Azure Table storage, journals in the blob container '{Container}')");
        await Task.WhenAll(state.Silos.Select(s => s.WaitUntilReadyAsync(cancellationToken)));
        foreach (SiloProcess silo in state.Silos)
        {
            state.Say($"  {silo.Name}: pid {silo.ProcessId}, ws://127.0.0.1:{silo.Port}/sync");
        }

        state.Balancer = new Balancer(() => state.Silos);
        string[] lists = Enumerable.Range(0, options.Lists).Select(ListName).ToArray();
        for (int i = 0; i < options.Clients; i++)
        {
            state.Clients.Add(TodoClient.Start(ClientName(i), Path.Combine(root, "clients"), lists, state.Balancer.Uri, state.ClientEvent));
        }

        state.Say($"{options.Clients} todo clients, each with a replica of {options.Lists} lists ({string.Join(", ", lists)}), through a balancer without affinity at {state.Balancer.Uri}");

        SiloProcess? killed = null;
        for (int round = 1; round <= options.Rounds; round++)
        {
            state.Step = $"editing (round {round})";
            foreach (TodoClient client in state.Clients)
            {
                client.Edit(round);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken); // people edit at a human pace, more or less
            if (round == options.KillAfterRound)
            {
                // Kill where documents live: wait until what was written so far is applied, then pick the silo whose
                // host has the most lists open (their grains must move to the survivors).
                state.Step = "waiting for the edits before the kill";
                await UntilAsync(() => state.Clients.All(c => c.Settled) && lists.All(l => state.Silos.Any(s => s.OpenDocuments.Contains(l))),
                    state, "edits before the kill applied", cancellationToken);
                killed = state.Silos.OrderByDescending(s => s.OpenDocuments.Count).ThenByDescending(s => s.Name, StringComparer.Ordinal).First();
                state.Say($"round {round}: {state.Mutations} mutations applied; placement: {Placement(state)}");
                state.Say($"killing {killed.Name} (pid {killed.ProcessId}, serving {string.Join(", ", killed.OpenDocuments)}) with SIGKILL; the clients keep editing");
                killed.Kill();
            }
            else if (round % 4 == 0 || round == options.Rounds)
            {
                state.Say($"round {round}: {state.Mutations} mutations made, {state.Clients.Sum(c => c.Pending)} not yet applied");
            }
        }

        state.Step = "waiting for every replica to converge";
        await UntilAsync(() => state.Clients.All(c => c.Settled) && lists.All(l => Agree(state.Clients.Select(c => c.Lists[l]))),
            state, "every replica applied and rebased", cancellationToken);
        state.Say($"all {options.Clients * options.Lists} replicas are up to date; placement now: {Placement(state)}");

        // The cluster's own copy: a fresh replica of each list downloaded from it (the coordinator's pages, which the
        // client checks against the coordinator's checksum as it applies them).
        state.Step = "reading the cluster's copy";
        TodoClient fresh = TodoClient.Start("fresh", Path.Combine(root, "fresh"), lists, state.Balancer.Uri);
        state.Fresh = fresh; // disposed with the rest, after a failure report has read it
        // By the next LSN alone: a replica that joins late may start from the store's checkpoint (decision 0018), so its
        // range starts later than the others'; the checksum covers the whole database either way.
        await UntilAsync(() => lists.All(l => fresh.Lists[l].StorageRange.Next == state.Clients[0].Lists[l].StorageRange.Next),
            state, "a fresh replica caught up with the cluster", cancellationToken);

        Verify(state, lists, fresh, killed);
    }

    /// <summary>Compares every replica with the fresh one, byte for byte by checksum, and the rows with what the clients did.</summary>
    private static void Verify(RunState state, string[] lists, TodoClient fresh, SiloProcess? killed)
    {
        foreach (string list in lists)
        {
            LocalDocument reference = fresh.Lists[list];
            string expectedRows = Rows(reference);
            foreach (TodoClient client in state.Clients)
            {
                LocalDocument replica = client.Lists[list];
                if (replica.StorageRange.Next != reference.StorageRange.Next || replica.StorageChecksum != reference.StorageChecksum || Rows(replica) != expectedRows)
                {
                    throw new ClusterRunException($"{client.Name}'s replica of {list} differs from the cluster's copy: storage {replica.StorageRange} checksum 0x{replica.StorageChecksum:X16}, " +
                        $"the cluster's {reference.StorageRange} checksum 0x{reference.StorageChecksum:X16}");
                }
            }

            long todos = reference.QueryScalar<long>("SELECT count(*) FROM todos");
            int expected = state.Clients.Sum(c => c.TodosOn(list));
            if (todos != expected)
            {
                throw new ClusterRunException($"{list} has {todos} todos, and the clients' edits leave {expected}");
            }

            state.Say($"  {list}: {state.Clients.Count} replicas and the cluster's copy at storage LSN {reference.StorageRange.Next.Value - 1}, checksum 0x{reference.StorageChecksum:X16}, {todos} todos");
        }

        int rejected = state.Clients.Sum(c => c.Rejected);
        if (rejected > 0)
        {
            throw new ClusterRunException($"{rejected} mutations were rejected, and none should be (each client edits only its own todos)");
        }

        state.Say($"after the kill: {state.Clients.Sum(c => c.Reconnects)} reconnects, {state.Clients.Sum(c => c.Reopens)} lists opened again after the cluster refused them while their grains moved");
        string connections = string.Join(", ", state.Balancer!.Connections.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        state.Say($"connections through the balancer: {connections}");
        state.Done = true;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"converged: {lists.Length} lists, {state.Clients.Count * lists.Length} replicas (+{lists.Length} fresh), {state.Mutations} mutations, " +
            $"{state.Silos.Count} silos ({killed?.Name ?? "none"} killed), every replica checksum-equal to the cluster's copy, {state.Clock.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>Replicas of one list agree: same storage LSN and checksum.</summary>
    private static bool Agree(IEnumerable<LocalDocument> replicas)
    {
        LocalDocument[] all = replicas.ToArray();
        return all.All(d => d.StorageRange.Next == all[0].StorageRange.Next && d.StorageChecksum == all[0].StorageChecksum);
    }

    private static string Rows(LocalDocument document) =>
        string.Join("\n", document.Query("SELECT id, title, done, position, created_at, updated_at FROM todos ORDER BY id")
            .Select(row => string.Join("|", row.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))));

    private static string Placement(RunState state) =>
        string.Join("; ", state.Silos.Where(s => s.IsUp).Select(s => $"{s.Name}: {(s.OpenDocuments.Count == 0 ? "-" : string.Join(", ", s.OpenDocuments))}"));

    /// <summary>Polls <paramref name="condition"/>, with a progress line every 5 s, until it holds or the run's deadline.</summary>
    private static async Task UntilAsync(Func<bool> condition, RunState state, string what, CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.StartNew();
        TimeSpan nextReport = TimeSpan.FromSeconds(5);
        while (!condition())
        {
            if (waiting.Elapsed > nextReport)
            {
                nextReport += TimeSpan.FromSeconds(5);
                state.Say($"  waiting until {what}: {state.Clients.Sum(c => c.Pending)} mutations not yet applied, {state.Clients.Count(c => c.Settled)} of {state.Clients.Count} clients settled");
            }

            await Task.Delay(50, cancellationToken); // polling replicas' state under the run's deadline
        }
    }

    private static string ListName(int index) => index switch
    {
        0 => "groceries",
        1 => "chores",
        2 => "trip",
        _ => "list" + index.ToString(CultureInfo.InvariantCulture),
    };

    private static string ClientName(int index) => index < Names.Length ? Names[index] : "client" + index.ToString(CultureInfo.InvariantCulture);

    private static readonly string[] Names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
}
