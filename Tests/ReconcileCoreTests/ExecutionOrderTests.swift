import ReconcileCore
import Testing

@Suite struct ExecutionOrderTests {
    @Test func dependenciesComeFirstAndTiesKeepManifestOrder() {
        let loaded = loadManifest("""
            kind: File
            name: c
            path: /c
            content: x
            dependsOn: [File/b]
            ---
            kind: File
            name: a
            path: /a
            content: x
            ---
            kind: File
            name: b
            path: /b
            content: x
            """)
        #expect(ExecutionOrder.sort(loaded.resources).map(\.address.name) == ["b", "c", "a"])
    }

    @Test func removalsRunInReverse() {
        let loaded = loadManifest("""
            kind: File
            name: child
            path: /c
            state: absent
            dependsOn: [File/parent]
            ---
            kind: File
            name: parent
            path: /p
            state: absent
            """)
        #expect(ExecutionOrder.sort(loaded.resources).map(\.address.name) == ["child", "parent"])
        let present = loadManifest("""
            kind: File
            name: child
            path: /c
            content: x
            dependsOn: [File/parent]
            ---
            kind: File
            name: parent
            path: /p
            content: x
            """)
        #expect(ExecutionOrder.sort(present.resources).map(\.address.name) == ["parent", "child"])
    }
}
