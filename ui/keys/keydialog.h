#pragma once

#include "core/service/service.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QListWidget;

namespace tollgate {

// A new API key: name, project, holder, groups, allowed models, features, monthly cap and expiry. Bad values are
// refused inline; the key is created on Save, and its secret shown once in SecretDialog.
class KeyDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeyDialog)

public:
    explicit KeyDialog(Service& service, QWidget* parent = nullptr);
    void accept() override;
    const CreatedKey& created() const { return m_created; }

private:
    Service& m_service;
    QLineEdit* m_name = nullptr;
    QComboBox* m_project = nullptr;
    QLineEdit* m_holder = nullptr;
    QListWidget* m_groups = nullptr;
    QComboBox* m_modelsMode = nullptr;
    QListWidget* m_models = nullptr;
    QList<QCheckBox*> m_features;
    QLineEdit* m_cap = nullptr;
    QCheckBox* m_expires = nullptr;
    QDateEdit* m_expiry = nullptr;
    QLabel* m_error = nullptr;
    CreatedKey m_created;
};

// Shows a new key's secret, the only time it can be seen, with a button that copies it.
class SecretDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SecretDialog)

public:
    SecretDialog(const QString& keyName, const QString& secret, const QString& baseUrl, QWidget* parent = nullptr);
    // Any secret shown once: a title, what it is (rich text), the secret with a Copy button, how it is used.
    SecretDialog(const QString& title, const QString& intro, const QString& secret, const QString& use,
                 QWidget* parent = nullptr);
    QString shownSecret() const;

private:
    bool eventFilter(QObject* watched, QEvent* event) override; // a double-click selects the whole secret

    QLineEdit* m_secret = nullptr;
};

} // namespace tollgate
