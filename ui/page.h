#pragma once

#include <QVBoxLayout>
#include <QWidget>

namespace tollgate {

class Console;
class MessageBanner;

// One page of the main window: a title, an inline message banner, and content that is reloaded when the
// organisation changes (at once when visible, otherwise the next time it is shown).
class Page : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Page)

public:
    Page(Console& console, const QString& title, QWidget* parent = nullptr);

    QString title() const { return m_title; }
    MessageBanner* banner() const { return m_banner; }
    // Reads what the page shows from the service again.
    virtual void reload() = 0;
    // False when leaving would lose unsaved work the user did not agree to lose.
    virtual bool mayLeave() { return true; }
    // For the screenshots: shows a detail worth a picture of its own (a selected row's details); false when none.
    virtual bool showSampleDetail() { return false; }

protected:
    void showEvent(QShowEvent* event) override;
    // The layout under the title and banner, for the page's content.
    QVBoxLayout* content() const { return m_content; }
    Console& console() const { return m_console; }
    void organisationChanged();

private:
    Console& m_console;
    QString m_title;
    MessageBanner* m_banner = nullptr;
    QVBoxLayout* m_content = nullptr;
    bool m_stale = true;
};

} // namespace tollgate
