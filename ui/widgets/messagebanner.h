#pragma once

#include <QFrame>

class QLabel;
class QTimer;

namespace tollgate {

// An inline message at the top of a page (KeePassXC's MessageWidget): errors stay until dismissed, confirmations
// fade after a few seconds. Never a modal box.
class MessageBanner final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MessageBanner)

public:
    enum class Kind { Information, Positive, Warning, Error };
    explicit MessageBanner(QWidget* parent = nullptr);

    // Information and Positive fade after a few seconds unless `stays`; warnings and errors stay until dismissed.
    void showMessage(Kind kind, const QString& text, bool stays = false);
    void showError(const QString& text) { showMessage(Kind::Error, text); }
    void showInfo(const QString& text) { showMessage(Kind::Positive, text); }
    QString text() const;
    Kind kind() const { return m_kind; }

private:
    QLabel* m_text = nullptr;
    QTimer* m_hide = nullptr;
    Kind m_kind = Kind::Information;
};

} // namespace tollgate
