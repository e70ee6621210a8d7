using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace SqlSync.FirstHour.Tests;

/// <summary>Starts a built server on a free port, runs a built client against it, and returns what the client printed.</summary>
internal static partial class ServerAndClient
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <param name="serverDll">The server's assembly, started with <paramref name="serverArguments"/> (which pick port 0).</param>
    /// <param name="clientDll">The client's assembly, given the server's ws:// URI and then <paramref name="clientArguments"/>.</param>
    public static async Task<string> RunAsync(string workDirectory, string serverDll, string[] serverArguments, string clientDll, params string[] clientArguments)
    {
        string serverDirectory = Directory.CreateDirectory(Path.Combine(workDirectory, "server-run")).FullName;
        string clientDirectory = Directory.CreateDirectory(Path.Combine(workDirectory, "client-run")).FullName;
        var development = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        using Process server = Process.Start(Dotnet.StartInfo(serverDirectory, [serverDll, .. serverArguments], development))!;
        var serverOutput = new StringBuilder();
        try
        {
            Uri listening = await ListeningUriAsync(server, serverOutput);
            var sync = new Uri($"ws://{listening.Authority}/sync");
            using Process client = Process.Start(Dotnet.StartInfo(clientDirectory, [clientDll, sync.ToString(), .. clientArguments]))!;
            client.StandardInput.Close();
            Task<string> stdout = client.StandardOutput.ReadToEndAsync();
            Task<string> stderr = client.StandardError.ReadToEndAsync();
            try
            {
                await client.WaitForExitAsync().WaitAsync(Deadline);
            }
            catch (TimeoutException)
            {
                client.Kill(entireProcessTree: true);
                Assert.Fail($"The client did not finish in {Deadline}.\nServer:\n{Dotnet.Tail(serverOutput.ToString())}");
            }

            string output = await stdout + await stderr;
            Assert.True(client.ExitCode == 0, $"The client exited with {client.ExitCode}:\n{output}\nServer:\n{Dotnet.Tail(serverOutput.ToString())}");
            return output;
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<Uri> ListeningUriAsync(Process server, StringBuilder output)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            string? line;
            try
            {
                line = await server.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The server did not say where it listens in {Deadline}:\n{output}");
            }

            if (line is null)
            {
                Assert.Fail($"The server exited ({(server.HasExited ? server.ExitCode : -1)}):\n{output}\n{await server.StandardError.ReadToEndAsync()}");
            }

            output.AppendLine(line);
            Match match = ListeningLine().Match(line);
            if (match.Success)
            {
                // Keep reading the server's output so that it never blocks on a full pipe.
                _ = Task.Run(async () =>
                {
                    while (await server.StandardOutput.ReadLineAsync() is { } more)
                    {
                        lock (output)
                        {
                            output.AppendLine(more);
                        }
                    }
                });
                _ = server.StandardError.ReadToEndAsync();
                return new Uri(match.Groups[1].Value);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
