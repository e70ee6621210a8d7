using Xunit;

namespace SqlSync.Runtime.Tests.Attack;

/// <summary>Runs a probe that might hang on another thread, so a hang fails the test instead of the run.</summary>
internal static class Hang
{
    public static void Bounded(Action action, int seconds = 30)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"did not finish within {seconds} s (hang)");
        task.GetAwaiter().GetResult();
    }

    public static T Bounded<T>(Func<T> action, int seconds = 30)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"did not finish within {seconds} s (hang)");
        return task.GetAwaiter().GetResult();
    }
}
