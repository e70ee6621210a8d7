using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Benchmarks;

/// <summary>
/// The physical limits under issue 14's initial sync (decision 0030): the same bytes in the same message size over a
/// raw loopback WebSocket (.NET's managed WebSocket over a loopback TCP connection, nothing of SqlSync), with one
/// message in flight and with a window of them; and the client's disk, writing the same bytes with an fsync per message
/// and with one per batch.
/// </summary>
internal static class InitialSyncCeiling
{
    private const int MessageBytes = 1 << 20, AckBytes = 16;

    public static async Task RunAsync(int megabytes, Action<string> print)
    {
        long total = (long)megabytes * 1_000_000;
        int messages = (int)((total + MessageBytes - 1) / MessageBytes);
        foreach (int window in new[] { 1, 4 })
        {
            double seconds = await RawWebSocketAsync(messages, window);
            print($"ceiling: raw loopback WebSocket, {messages} messages of 1 MiB, {window} in flight (each acknowledged with {AckBytes} bytes): " +
                  $"{messages * (double)MessageBytes / 1e6 / seconds:N0} MB/s ({seconds:N2} s)");
        }

        using var temp = new TempRoot("initial-sync-disk");
        foreach (int perFsync in new[] { 1, 4 })
        {
            double seconds = WriteAndFsync(Path.Combine(temp.Path, $"disk-{perFsync}"), messages, perFsync);
            print($"ceiling: client disk, {messages} writes of 1 MiB, one fsync per {perFsync}: {messages * (double)MessageBytes / 1e6 / seconds:N0} MB/s ({seconds:N2} s)");
        }
    }

    private static async Task<double> RawWebSocketAsync(int messages, int window)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        Task connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using TcpClient accepted = await listener.AcceptTcpClientAsync();
        await connect;
        using WebSocket server = WebSocket.CreateFromStream(accepted.GetStream(), new WebSocketCreationOptions { IsServer = true });
        using WebSocket receiver = WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false });
        byte[] payload = new byte[MessageBytes];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        Task sending = Task.Run(async () =>
        {
            byte[] ack = new byte[AckBytes];
            int inFlight = 0;
            for (int sent = 0; sent < messages; sent++)
            {
                while (inFlight >= window)
                {
                    await ReceiveWholeAsync(server, ack);
                    inFlight--;
                }

                await server.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                inFlight++;
            }

            for (; inFlight > 0; inFlight--)
            {
                await ReceiveWholeAsync(server, ack);
            }
        });

        byte[] buffer = new byte[MessageBytes];
        byte[] answer = new byte[AckBytes];
        for (int received = 0; received < messages; received++)
        {
            await ReceiveWholeAsync(receiver, buffer);
            await receiver.SendAsync(answer, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }

        await sending;
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task ReceiveWholeAsync(WebSocket socket, byte[] buffer)
    {
        int at = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(at), CancellationToken.None);
            at += result.Count;
            if (result.EndOfMessage)
            {
                return;
            }
        }
    }

    private static double WriteAndFsync(string path, int messages, int perFsync)
    {
        byte[] payload = new byte[MessageBytes];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        using (SafeFileHandle handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
        {
            for (int i = 0; i < messages; i++)
            {
                RandomAccess.Write(handle, payload, (long)i * MessageBytes);
                if ((i + 1) % perFsync == 0 || i == messages - 1)
                {
                    RandomAccess.FlushToDisk(handle);
                }
            }
        }

        return clock.Elapsed.TotalSeconds;
    }
}
