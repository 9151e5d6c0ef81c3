import Testing

@testable import ProxyCore

struct RetryBudgetTests {
    @Test func aQuietSystemCanRetryAFewTimes() {
        var budget = RetryBudget(percent: 20)
        #expect(budget.availableTokens == 3)
        #expect((0..<4).map { _ in budget.tryConsumeRetry() } == [true, true, true, false])
    }

    @Test func requestsEarnTheirShare() {
        var budget = RetryBudget(percent: 10, minimumTokens: 0)
        #expect(budget.tryConsumeRetry() == false)
        for _ in 0..<9 { budget.recordRequest() }
        #expect(budget.tryConsumeRetry() == false)
        budget.recordRequest()  // ten 0.1 deposits make exactly one token
        #expect(budget.tryConsumeRetry() == true)
        #expect(budget.tryConsumeRetry() == false)

        var quarter = RetryBudget(percent: 25, minimumTokens: 0)
        for _ in 0..<100 { quarter.recordRequest() }
        #expect(quarter.availableTokens == 25)
    }

    @Test func holdsAtMostAHundredTokens() {
        var budget = RetryBudget(percent: 100)
        for _ in 0..<1000 { budget.recordRequest() }
        #expect(budget.availableTokens == 100)
        let granted = (0..<150).filter { _ in budget.tryConsumeRetry() }.count
        #expect(granted == 100)

        var generous = RetryBudget(percent: 50, minimumTokens: 150)
        for _ in 0..<10 { generous.recordRequest() }
        #expect(generous.availableTokens == 150)
    }

    @Test func zeroPercentAllowsOnlyTheFloor() {
        var budget = RetryBudget(percent: 0, minimumTokens: 1)
        for _ in 0..<1000 { budget.recordRequest() }
        #expect(budget.tryConsumeRetry() == true)
        #expect(budget.tryConsumeRetry() == false)
        var negative = RetryBudget(percent: -5, minimumTokens: -2)
        negative.recordRequest()
        #expect(negative.availableTokens == 0)
    }
}
