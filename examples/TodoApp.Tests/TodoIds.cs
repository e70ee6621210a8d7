namespace TodoApp.Tests;

/// <summary>Fixed ids, so snapshots never change from one run to the next.</summary>
internal static class TodoIds
{
    public static readonly Guid Milk = new("00000000-0000-4000-8000-000000000001");
    public static readonly Guid Bread = new("00000000-0000-4000-8000-000000000002");
    public static readonly Guid Eggs = new("00000000-0000-4000-8000-000000000003");
    public static readonly Guid Missing = new("00000000-0000-4000-8000-0000000000ff");
}
